#include "keylink/relay/client.h"

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <cmath>
#include <deque>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "client_protocol.h"
#include "keylink/base/encoding.h"
#include "keylink/crypto/did_key.h"
#include "keylink/crypto/jwt.h"
#include "keylink/relay/errors.h"
#include "tls_context.h"

namespace keylink::relay {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace proto = client_protocol;
using tcp = asio::ip::tcp;
using wire::Json;

namespace {

// The relay pings every 20 s; the Node client gives up 35 s after the last ping, we after 60 s of silence.
constexpr std::chrono::seconds kSilenceLimit{60};
constexpr std::int64_t kJwtTtlSeconds = 86400;
constexpr std::uint16_t kCloseUnauthorized = 3000;  // spec: a relay refuses a bad auth with 3000
constexpr std::size_t kOutboxPage = 1000;

// One WebSocket connection, over TCP (ws://) or TLS (wss://). Its own handlers keep it alive (so the
// stream never dies under a pending operation); the client holds it while it is the current
// connection, and ignores it once it is not.
struct Link {
  Link(asio::io_context& io, asio::ssl::context* tls) : resolver(io), silence(io) {
    if (tls) {
      secure.emplace(io, *tls);
    } else {
      plain.emplace(io);
    }
  }

  // Calls f with the WebSocket stream, whichever it is.
  template <class F>
  decltype(auto) with_ws(F&& f) {
    return secure ? f(*secure) : f(*plain);
  }
  beast::tcp_stream& tcp() { return secure ? beast::get_lowest_layer(*secure) : beast::get_lowest_layer(*plain); }

  tcp::resolver resolver;
  std::optional<websocket::stream<beast::tcp_stream>> plain;
  std::optional<websocket::stream<beast::ssl_stream<beast::tcp_stream>>> secure;
  beast::flat_buffer buffer;
  std::deque<std::string> queue;  // frames to write, the front one being written
  bool writing = false;
  bool open = false;  // handshake done: requests may go
  asio::steady_timer silence;
  std::chrono::steady_clock::time_point last_heard;
};

// The relay's close frame, when one came: its answer to the close may fail (the relay may drop the TCP
// connection right after its close frame), and then the read reports that failure rather than `closed`.
std::string describe_loss(Link& link, beast::error_code error) {
  const websocket::close_reason& reason =
      link.with_ws([](auto& ws) -> const websocket::close_reason& { return ws.reason(); });
  if (reason.code != websocket::close_code::none) {
    const std::string text(reason.reason.data(), reason.reason.size());
    if (reason.code == kCloseUnauthorized) return "relay refused the auth token (close 3000): " + text;
    return "relay closed the connection (close " + std::to_string(reason.code) + (text.empty() ? "" : ": " + text) +
           ")";
  }
  return "connection lost: " + error.message();
}

}  // namespace

struct RelayClient::Impl : std::enable_shared_from_this<Impl> {
  struct Pending {
    enum class Kind { kResubscribe, kSubscribe, kUnsubscribe, kFetch, kPublish, kQuery };
    Pending(Kind what, const char* name, std::vector<std::string> names = {}, std::int64_t outbox_row = 0)
        : kind(what), method(name), topics(std::move(names)), row(outbox_row) {}

    Kind kind;
    const char* method;
    std::vector<std::string> topics;                 // subscribe, fetch
    std::int64_t row = 0;                            // publish
    std::function<void(Result<QueryPage>)> on_page;  // query
    std::unique_ptr<asio::steady_timer> timer;
  };

  Impl(asio::io_context& io_context, ClientOptions client_options, const crypto::Ed25519KeyPair& key_pair,
       RelayOutbox& relay_outbox, const Clock& wall_clock, Rng& random, Callbacks client_callbacks)
      : io(io_context),
        options(std::move(client_options)),
        key(key_pair),
        outbox(relay_outbox),
        clock(wall_clock),
        rng(random),
        callbacks(std::move(client_callbacks)),
        client_id(crypto::did_key_from_ed25519(key_pair.public_key())),
        reconnect_timer(io_context),
        backoff(options.backoff_initial),
        dedupe(options.dedupe_window) {}

  // --- Connecting ---------------------------------------------------------------------------------

  void start() {
    if (state != State::kStopped) return;
    auto listed = proto::parse_relay_urls(options.url);
    if (!listed) return notify(State::kStopped, listed.error().message);
    nodes = std::move(*listed);
    node = cycle_start = 0;
    const bool any_tls = std::any_of(nodes.begin(), nodes.end(), [](const auto& each) { return each.url.tls; });
    if (any_tls && !tls) {
      auto context = client_tls_context(options.ca_file);
      if (!context) return notify(State::kStopped, context.error().message);
      tls.emplace(std::move(*context));
    }
    state = State::kConnecting;
    backoff = options.backoff_initial;
    connect();
  }

  const proto::RelayUrl& url() const { return nodes[node].url; }
  const std::string& url_text() const { return nodes[node].text; }

  void connect() {
    auto fresh = std::make_shared<Link>(io, url().tls ? &*tls : nullptr);
    link = fresh;
    fresh->resolver.async_resolve(
        url().host, url().port,
        [weak = weak_from_this(), fresh](beast::error_code error, tcp::resolver::results_type found) {
          auto self = weak.lock();
          if (!self || self->link != fresh) return;
          if (error) return self->lost("cannot resolve " + self->url().host + ": " + error.message());
          self->tcp_connect(fresh, found);
        });
  }

  void tcp_connect(const std::shared_ptr<Link>& fresh, const tcp::resolver::results_type& found) {
    fresh->tcp().expires_after(options.request_timeout);
    fresh->tcp().async_connect(found, [weak = weak_from_this(), fresh](beast::error_code error, const tcp::endpoint&) {
      auto self = weak.lock();
      if (!self || self->link != fresh) return;
      if (error) return self->lost("cannot connect to " + self->url_text() + ": " + error.message());
      if (fresh->secure) return self->tls_handshake(fresh);
      self->handshake(fresh);
    });
  }

  // wss://: the relay's certificate must chain to a trusted CA and name the URL's host; anything else
  // ends this connection (and the next attempt does the same), never a fallback to ws://.
  void tls_handshake(const std::shared_ptr<Link>& fresh) {
    auto& stream = fresh->secure->next_layer();
    if (auto named = expect_server_name(stream.native_handle(), url().host); !named) {
      return lost(url_text() + ": " + named.error().message);
    }
    fresh->tcp().expires_after(options.request_timeout);
    stream.async_handshake(asio::ssl::stream_base::client, [weak = weak_from_this(), fresh](beast::error_code error) {
      auto self = weak.lock();
      if (!self || self->link != fresh) return;
      if (error) {
        return self->lost(self->url_text() + ": " +
                          describe_handshake_failure(fresh->secure->next_layer().native_handle(), error));
      }
      self->handshake(fresh);
    });
  }

  void handshake(const std::shared_ptr<Link>& fresh) {
    // Beast: a tcp_stream under a websocket stream has its own timeouts off; the stream's apply.
    fresh->tcp().expires_never();
    // Small frames go at once: with Nagle on, a frame written while another is unacknowledged waits
    // for the peer's delayed ACK (40 ms), which a request round trip would pay.
    beast::error_code ignored;
    fresh->tcp().socket().set_option(tcp::no_delay(true), ignored);
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = options.request_timeout;
    timeouts.idle_timeout = websocket::stream_base::none();
    timeouts.keep_alive_pings = false;
    const std::string jwt =
        crypto::sign_relay_auth_jwt(key, to_hex(rng.bytes<32>()), url_text(), clock.unix_seconds(), kJwtTtlSeconds);
    const std::string host =
        (url().host.find(':') != std::string::npos ? "[" + url().host + "]" : url().host) + ":" + url().port;
    fresh->with_ws([&](auto& ws) {
      ws.set_option(timeouts);
      ws.read_message_max(options.max_frame);
      // Pings and pongs count as signs of life; Beast answers the pings itself.
      ws.control_callback([raw = fresh.get()](websocket::frame_type, beast::string_view) {
        raw->last_heard = std::chrono::steady_clock::now();
      });
      ws.async_handshake(host, proto::connect_target(url(), jwt, options.project_id),
                         [weak = weak_from_this(), fresh](beast::error_code error) {
                           auto self = weak.lock();
                           if (!self || self->link != fresh) return;
                           if (error) return self->lost("WebSocket handshake failed: " + error.message());
                           self->on_open(fresh);
                         });
    });
  }

  void on_open(const std::shared_ptr<Link>& fresh) {
    fresh->open = true;
    fresh->with_ws([](auto& ws) { ws.text(true); });
    fresh->last_heard = std::chrono::steady_clock::now();
    read(fresh);
    watch_silence(fresh);
    // spec: after every connect, irn_batchSubscribe with all the topics (<= 500 per batch).
    const std::vector<std::string> all(topics.begin(), topics.end());
    if (all.empty()) return on_connected();
    for (std::size_t i = 0; i < all.size(); i += proto::kMaxTopicsPerBatch) {
      std::vector<std::string> batch(
          all.begin() + static_cast<std::ptrdiff_t>(i),
          all.begin() + static_cast<std::ptrdiff_t>(std::min(all.size(), i + proto::kMaxTopicsPerBatch)));
      ++resubscribes_left;
      Json params = {{"topics", batch}};
      request({Pending::Kind::kResubscribe, "irn_batchSubscribe", std::move(batch)}, std::move(params));
    }
  }

  void on_connected() {
    state = State::kConnected;
    backoff = options.backoff_initial;
    cycle_start = node;
    notify(State::kConnected, "");
    if (state != State::kConnected) return;
    const std::vector<std::string> all(topics.begin(), topics.end());
    for (std::size_t i = 0; i < all.size(); i += proto::kMaxTopicsPerBatch) {
      fetch({all.begin() + static_cast<std::ptrdiff_t>(i),
             all.begin() + static_cast<std::ptrdiff_t>(std::min(all.size(), i + proto::kMaxTopicsPerBatch))});
    }
    flush_outbox();
  }

  // Forgets the connection, counts an attempt for each unanswered publish, and tries again later.
  void lost(const std::string& why) {
    auto gone = std::exchange(link, nullptr);
    if (!gone) return;
    beast::error_code ignored;
    gone->tcp().socket().close(ignored);
    gone->resolver.cancel();
    gone->silence.cancel();
    std::vector<std::int64_t> unanswered(in_flight.begin(), in_flight.end());
    std::sort(unanswered.begin(), unanswered.end());
    fail_queries(why);
    forget_requests();
    state = State::kConnecting;
    node = (node + 1) % nodes.size();  // the next node of the relay, if it has several
    schedule_reconnect();
    notify(State::kConnecting, why);
    for (const std::int64_t row : unanswered) {
      if (++attempts[row] < options.max_publish_attempts) continue;
      attempts.erase(row);  // the next connection sends it again, with attempts anew
      report(row, fail(Error{make_error_code(Errc::kNotAcknowledged), "relay did not acknowledge after " +
                                                                          std::to_string(options.max_publish_attempts) +
                                                                          " attempts"}));
    }
  }

  void forget_requests() {
    pending.clear();
    in_flight.clear();
    sent_through = 0;
    resubscribes_left = 0;
  }

  // Each node is tried once after the initial delay; the delay doubles each time the client is back at
  // the node it last reached (with one node: each attempt).
  void schedule_reconnect() {
    // +-25 % jitter, so that clients cut off together do not come back together.
    const auto draw = rng.bytes<4>();
    const std::uint32_t u = (std::uint32_t{draw[0]} << 24) | (std::uint32_t{draw[1]} << 16) |
                            (std::uint32_t{draw[2]} << 8) | std::uint32_t{draw[3]};
    const double factor = 0.75 + 0.5 * (static_cast<double>(u) / 4294967296.0);
    const bool round_done = node == cycle_start;
    const auto base = round_done ? backoff : options.backoff_initial;
    const auto delay = std::chrono::milliseconds(std::llround(static_cast<double>(base.count()) * factor));
    if (round_done) backoff = std::min(backoff * 2, options.backoff_max);
    reconnect_timer.expires_after(delay);
    reconnect_timer.async_wait([weak = weak_from_this()](beast::error_code error) {
      auto self = weak.lock();
      if (error || !self || self->state != State::kConnecting || self->link) return;
      self->connect();
    });
  }

  void stop(bool quietly) {
    if (state == State::kStopped) return;
    state = State::kStopped;
    silenced = quietly;
    reconnect_timer.cancel();
    fail_queries("relay client stopped before the relay answered keylink_query");
    forget_requests();
    if (auto gone = std::exchange(link, nullptr)) {
      gone->resolver.cancel();
      gone->silence.cancel();
      if (gone->open) {
        // The link keeps itself alive until the closing handshake is over (handshake_timeout at most).
        gone->with_ws([&](auto& ws) { ws.async_close(websocket::close_code::normal, [gone](beast::error_code) {}); });
      } else {
        beast::error_code ignored;
        gone->tcp().socket().close(ignored);
      }
    }
    if (!quietly && callbacks.on_state) callbacks.on_state(State::kStopped, "stopped");
  }

  // --- Frames -------------------------------------------------------------------------------------

  void read(const std::shared_ptr<Link>& current) {
    current->with_ws([&](auto& ws) {
      ws.async_read(current->buffer, [weak = weak_from_this(), current](beast::error_code error, std::size_t) {
        auto self = weak.lock();
        if (!self || self->link != current) return;
        if (error) return self->lost(describe_loss(*current, error));
        current->last_heard = std::chrono::steady_clock::now();
        const std::string frame = beast::buffers_to_string(current->buffer.data());
        current->buffer.consume(current->buffer.size());
        self->on_frame(frame);
        if (self->link == current) self->read(current);
      });
    });
  }

  void watch_silence(const std::shared_ptr<Link>& current) {
    current->silence.expires_at(current->last_heard + kSilenceLimit);
    current->silence.async_wait([weak = weak_from_this(), current](beast::error_code error) {
      auto self = weak.lock();
      if (error || !self || self->link != current) return;
      if (std::chrono::steady_clock::now() - current->last_heard >= kSilenceLimit) {
        return self->lost("relay silent for " + std::to_string(kSilenceLimit.count()) + " s");
      }
      self->watch_silence(current);
    });
  }

  void write(std::string frame) {
    link->queue.push_back(std::move(frame));
    if (!link->writing) write_next(link);
  }

  void write_next(const std::shared_ptr<Link>& current) {
    current->writing = true;
    current->with_ws([&](auto& ws) {
      ws.async_write(asio::buffer(current->queue.front()),
                     [weak = weak_from_this(), current](beast::error_code error, std::size_t) {
                       current->queue.pop_front();
                       current->writing = false;
                       auto self = weak.lock();
                       if (!self || self->link != current) return;
                       if (error) return self->lost("cannot write to the relay: " + error.message());
                       if (!current->queue.empty()) self->write_next(current);
                     });
    });
  }

  void on_frame(std::string_view frame) {
    auto incoming = proto::parse_incoming(frame, options.max_frame);
    if (auto* delivery = std::get_if<proto::Delivery>(&incoming)) {
      const auto current = link;
      // The ack goes once the message was handled: a crash before this line means a redelivery, and a
      // message the app could not store goes unacked, for the relay to deliver again after a reconnect.
      const bool handled = deliver(delivery->message);
      if (handled && link == current && state != State::kStopped) write(proto::ack_text(delivery->id));
    } else if (auto* answer = std::get_if<proto::Answer>(&incoming)) {
      on_answer(std::move(*answer));
    }
  }

  // False when the app could not handle the message (it is then forgotten, so that it comes again).
  bool deliver(const RelayMessage& message) {
    if (state == State::kStopped || !topics.contains(message.topic)) return true;
    if (!dedupe.first_time(message.topic, message.message)) return true;
    if (!callbacks.on_message || callbacks.on_message(message)) return true;
    dedupe.forget(message.topic, message.message);
    return false;
  }

  // --- Requests -----------------------------------------------------------------------------------

  std::int64_t track(Pending entry) {
    const std::int64_t id = ids.next(clock.unix_millis());
    entry.timer = std::make_unique<asio::steady_timer>(io, options.request_timeout);
    entry.timer->async_wait([weak = weak_from_this(), current = link, id](beast::error_code error) {
      auto self = weak.lock();
      if (error || !self || self->link != current) return;
      auto found = self->pending.find(id);
      if (found == self->pending.end()) return;
      self->lost(std::string("relay did not answer ") + found->second.method + " within " +
                 std::to_string(self->options.request_timeout.count()) + " ms");
    });
    pending.emplace(id, std::move(entry));
    return id;
  }

  void request(Pending entry, Json params) {
    const char* method = entry.method;
    const std::int64_t id = track(std::move(entry));
    write(proto::request_text(id, method, std::move(params)));
  }

  void fetch(std::vector<std::string> batch) {
    if (batch.size() == 1) {
      Json params = {{"topic", batch.front()}};
      return request({Pending::Kind::kFetch, "irn_fetchMessages", std::move(batch)}, std::move(params));
    }
    Json params = {{"topics", batch}};
    request({Pending::Kind::kFetch, "irn_batchFetchMessages", std::move(batch)}, std::move(params));
  }

  void on_answer(proto::Answer answer) {
    auto found = pending.find(answer.id);
    if (found == pending.end()) return;
    Pending entry = std::move(found->second);
    pending.erase(found);
    switch (entry.kind) {
      case Pending::Kind::kResubscribe:
        if (!answer.result) return lost("relay refused the subscriptions: " + answer.error);
        if (--resubscribes_left == 0) on_connected();
        return;
      case Pending::Kind::kSubscribe:
        if (answer.result) fetch(std::move(entry.topics));
        return;
      case Pending::Kind::kUnsubscribe: return;
      case Pending::Kind::kFetch:
        if (answer.result) on_fetched(std::move(entry.topics), *answer.result);  // a refusal: the next connect fetches
        return;
      case Pending::Kind::kPublish: return on_publish_answer(entry.row, answer);
      case Pending::Kind::kQuery:
        if (!answer.result) {
          return answer_query(std::move(entry.on_page), fail(Error{make_error_code(Errc::kRefused),
                                                                   "relay refused keylink_query: " + answer.error}));
        }
        return answer_query(std::move(entry.on_page), proto::parse_query_result(*answer.result));
    }
  }

  void query(const QueryRequest& query_request, std::function<void(Result<QueryPage>)> done) {
    if (state != State::kConnected || !link || !link->open) {
      return answer_query(std::move(done),
                          fail(Error{make_error_code(Errc::kNotAcknowledged), "not connected to the relay"}));
    }
    Pending entry{Pending::Kind::kQuery, "keylink_query"};
    entry.on_page = std::move(done);
    request(std::move(entry), proto::query_params(query_request));
  }

  // Every query on the link that is going away fails with the reason; the callbacks run later, on the
  // loop, so that none runs inside lost() or stop().
  void fail_queries(const std::string& why) {
    for (auto& [id, entry] : pending) {
      if (entry.kind != Pending::Kind::kQuery) continue;
      answer_query(std::move(entry.on_page), fail(Error{make_error_code(Errc::kNotAcknowledged), why}));
    }
  }

  void answer_query(std::function<void(Result<QueryPage>)> done, Result<QueryPage> page) {
    asio::post(io, [weak = weak_from_this(), done = std::move(done), page = std::move(page)]() mutable {
      auto self = weak.lock();
      if (!self || self->silenced) return;
      done(std::move(page));
    });
  }

  void on_fetched(std::vector<std::string> batch, const Json& result) {
    const auto current = link;
    const proto::FetchPage page = proto::parse_fetch_result(result);
    for (const RelayMessage& message : page.messages) {
      deliver(message);
      if (link != current) return;
    }
    // spec: the relay answers at most a page; hasMore asks for the next.
    if (page.has_more && !page.messages.empty()) fetch(std::move(batch));
  }

  void on_publish_answer(std::int64_t row, const proto::Answer& answer) {
    in_flight.erase(row);
    attempts.erase(row);
    (void)outbox.remove(row);  // a row that stays is sent again; relays and peers drop the duplicate
    if (answer.result && *answer.result == true) return report(row, {});
    const std::string why = answer.result ? "answered " + answer.result->dump() : answer.error;
    report(row, fail(Error{make_error_code(Errc::kRefused), "relay refused the publish: " + why}));
  }

  void flush_outbox() {
    if (state != State::kConnected || !link) return;
    while (true) {
      // Rows up to sent_through are in flight or gone: row ids only grow, so only newer rows are read.
      auto rows = outbox.list(sent_through, kOutboxPage);
      if (!rows) return;  // the store is busy or broken: the next flush tries again
      for (const QueuedMessage& row : *rows) {
        sent_through = row.id;
        if (!in_flight.insert(row.id).second) continue;
        const std::int64_t id = track({Pending::Kind::kPublish, "irn_publish", {}, row.id});
        write(proto::publish_text(id, row.message));
      }
      if (rows->size() < kOutboxPage) return;
    }
  }

  void subscribe(const std::string& topic) {
    if (!topics.insert(topic).second || !link || !link->open) return;
    request({Pending::Kind::kSubscribe, "irn_subscribe", {topic}}, Json{{"topic", topic}});
  }

  void unsubscribe(const std::string& topic) {
    if (topics.erase(topic) == 0 || !link || !link->open) return;
    request({Pending::Kind::kUnsubscribe, "irn_unsubscribe", {}},
            Json{{"topic", topic}, {"id", proto::subscription_id(topic, client_id)}});
  }

  // --- Callbacks ----------------------------------------------------------------------------------

  void notify(State now, const std::string& why) {
    if (!silenced && callbacks.on_state) callbacks.on_state(now, why);
  }

  void report(std::int64_t row, const Result<void>& outcome) {
    if (state != State::kStopped && callbacks.on_published) callbacks.on_published(row, outcome);
  }

  asio::io_context& io;
  const ClientOptions options;
  const crypto::Ed25519KeyPair& key;
  RelayOutbox& outbox;
  const Clock& clock;
  Rng& rng;
  const Callbacks callbacks;
  const std::string client_id;

  std::vector<proto::RelayNode> nodes;    // from options.url; tried in turn
  std::size_t node = 0;                   // the node connected or being tried
  std::size_t cycle_start = 0;            // the node last connected to (at first the first)
  std::optional<asio::ssl::context> tls;  // made by the first start() with a wss:// URL
  State state = State::kStopped;
  bool silenced = false;  // destroyed: no callbacks at all
  std::shared_ptr<Link> link;
  asio::steady_timer reconnect_timer;
  std::chrono::milliseconds backoff;
  std::set<std::string> topics;
  proto::RequestIds ids;
  proto::DedupeWindow dedupe;
  std::unordered_map<std::int64_t, Pending> pending;  // by request id, on the current link
  std::size_t resubscribes_left = 0;
  std::unordered_set<std::int64_t> in_flight;      // outbox rows sent on the current link
  std::int64_t sent_through = 0;                   // the greatest outbox row sent on the current link
  std::unordered_map<std::int64_t, int> attempts;  // outbox row -> connections lost while it was in flight
};

RelayClient::RelayClient(boost::asio::io_context& io, ClientOptions options, const crypto::Ed25519KeyPair& key,
                         RelayOutbox& outbox, const Clock& clock, Rng& rng, Callbacks callbacks)
    : impl_(std::make_shared<Impl>(io, std::move(options), key, outbox, clock, rng, std::move(callbacks))) {}

RelayClient::~RelayClient() { impl_->stop(/*quietly=*/true); }

void RelayClient::start() { impl_->start(); }
void RelayClient::stop() { impl_->stop(/*quietly=*/false); }
void RelayClient::subscribe(const std::string& topic) { impl_->subscribe(topic); }
void RelayClient::unsubscribe(const std::string& topic) { impl_->unsubscribe(topic); }
void RelayClient::flush_outbox() { impl_->flush_outbox(); }
void RelayClient::query(QueryRequest request, std::function<void(Result<QueryPage>)> done) {
  impl_->query(request, std::move(done));
}
RelayClient::State RelayClient::state() const noexcept { return impl_->state; }
const std::string& RelayClient::client_id() const noexcept { return impl_->client_id; }

}  // namespace keylink::relay
