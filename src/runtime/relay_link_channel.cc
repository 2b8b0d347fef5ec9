// RelayLinkChannel: link messages as ephemeral, localOnly publishes on the peer's topic (link_channel.h).
#include <algorithm>
#include <unordered_set>

#include "keylink/base/encoding.h"
#include "keylink/crypto/ed25519.h"
#include "keylink/relay/errors.h"
#include "keylink/relay/outbox.h"
#include "keylink/runtime/link_channel.h"
#include "keylink/store/database.h"

namespace keylink::runtime {
namespace {

constexpr std::size_t kTopicLength = 64;

bool is_topic(const std::string& topic) {
  return topic.size() == kTopicLength && std::all_of(topic.begin(), topic.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// The base64 text of `size` bytes, padded.
constexpr std::size_t base64_length(std::size_t size) { return (size + 2) / 3 * 4; }

}  // namespace

struct RelayLinkChannel::Impl {
  Impl(boost::asio::io_context& io, RelayLinkOptions link_options, Rng& rng, const Clock& clock,
       LinkChannelCallbacks link_callbacks, std::unique_ptr<store::Database> database, relay::RelayOutbox relay_outbox)
      : options(std::move(link_options)),
        callbacks(std::move(link_callbacks)),
        db(std::move(database)),
        outbox(std::move(relay_outbox)),
        key(crypto::Ed25519KeyPair::generate(rng)),
        client(
            io, options.relay, key, outbox, clock, rng,
            {.on_message = [this](const relay::RelayMessage& message) { return on_message(message); },
             .on_state = [this](relay::RelayClient::State state, const std::string& why) { on_state(state, why); },
             .on_published = [this](std::int64_t row, const Result<void>& outcome) { on_published(row, outcome); }}) {}

  // Always true: the relay delivers an ephemeral message once, and a refused one would never be better.
  bool on_message(const relay::RelayMessage& message) {
    if (message.message.size() > base64_length(options.max_message)) {
      ++stats.dropped_too_large;
      return true;
    }
    auto bytes = from_base64(message.message);
    if (!bytes) {
      ++stats.dropped_malformed;
      return true;
    }
    if (bytes->size() > options.max_message) {  // base64_length rounds up
      ++stats.dropped_too_large;
      return true;
    }
    ++stats.messages_received;
    if (callbacks.on_message) callbacks.on_message(std::move(*bytes));
    return true;
  }

  void on_state(relay::RelayClient::State state, const std::string& why) {
    last_why = why;
    const bool was_up = is_up;
    is_up = state == relay::RelayClient::State::kConnected;
    if (stopped) return;
    if (is_up) {
      if (callbacks.on_up) callbacks.on_up();
    } else if (was_up && callbacks.on_down) {
      callbacks.on_down(Error{make_error_code(LinkChannelErrc::kPeerGone), "link over the relay: " + why});
    }
  }

  void on_published(std::int64_t row, const Result<void>& outcome) {
    if (outcome) {
      queued.erase(row);
      return;
    }
    // Refused: the client removed the row. Not acknowledged: the row stays and goes again.
    if (outcome.error().code == relay::Errc::kRefused) queued.erase(row);
    if (!stopped && callbacks.on_send_failed) callbacks.on_send_failed(context("link over the relay", outcome.error()));
  }

  Result<void> send(ByteView message) {
    if (stopped) return fail(LinkChannelErrc::kNotConnected, "link over the relay: the channel is stopped");
    if (message.size() > options.max_message) {
      return fail(LinkChannelErrc::kTooLarge, "link over the relay: a message of " + std::to_string(message.size()) +
                                                  " bytes is over the limit of " + std::to_string(options.max_message));
    }
    if (options.outbound_topic.empty()) {
      return fail(LinkChannelErrc::kBadOption, "link over the relay: no outbound topic yet");
    }
    if (queued.size() >= options.max_queued) {
      return fail(LinkChannelErrc::kBusy, "link over the relay: " + std::to_string(options.max_queued) +
                                              " messages wait for the relay already");
    }
    relay::OutgoingMessage outgoing{.topic = options.outbound_topic,
                                    .message = to_base64(message),
                                    .ttl = options.ttl_seconds,
                                    .tag = 0,
                                    .ephemeral = true,
                                    .local_only = true};
    auto row = outbox.add(outgoing);
    if (!row) return fail(context("link over the relay", row.error()));
    queued.insert(*row);
    ++stats.messages_sent;
    client.flush_outbox();
    return {};
  }

  void stop() {
    if (stopped) return;
    stopped = true;
    is_up = false;
    client.stop();
  }

  RelayLinkOptions options;  // the outbound topic may be set after open()
  const LinkChannelCallbacks callbacks;
  LinkChannelStats stats;
  bool stopped = false;
  bool is_up = false;
  std::string last_why;                     // of the last state change: why start() stopped at once
  std::unordered_set<std::int64_t> queued;  // outbox rows not yet acknowledged
  // Declared in this order so that the client, which uses the others, goes first.
  std::unique_ptr<store::Database> db;  // ":memory:": link ciphertext never reaches a disk
  relay::RelayOutbox outbox;
  crypto::Ed25519KeyPair key;
  relay::RelayClient client;
};

Result<std::unique_ptr<RelayLinkChannel>> RelayLinkChannel::open(boost::asio::io_context& io, RelayLinkOptions options,
                                                                 Rng& rng, const Clock& clock,
                                                                 LinkChannelCallbacks callbacks) {
  if (!is_topic(options.inbound_topic) || (!options.outbound_topic.empty() && !is_topic(options.outbound_topic))) {
    return fail(LinkChannelErrc::kBadOption, "link over the relay: each topic must be 64 lowercase hex characters");
  }
  if (options.inbound_topic == options.outbound_topic) {
    return fail(LinkChannelErrc::kBadOption, "link over the relay: the inbound and outbound topics are the same");
  }
  if (options.max_message == 0 || options.max_queued == 0) {
    return fail(LinkChannelErrc::kBadOption, "link over the relay: max_message and max_queued must be positive");
  }
  // The outbox keeps a pointer to its Database: the Database gets its final address first.
  auto opened = store::Database::open(":memory:");
  if (!opened) return fail(context("link over the relay", opened.error()));
  auto db = std::make_unique<store::Database>(std::move(*opened));
  auto outbox = relay::RelayOutbox::open(*db);
  if (!outbox) return fail(context("link over the relay", outbox.error()));
  const std::string inbound = options.inbound_topic;
  auto impl = std::make_unique<Impl>(io, std::move(options), rng, clock, std::move(callbacks), std::move(db),
                                     std::move(*outbox));
  impl->client.subscribe(inbound);
  impl->client.start();
  if (impl->client.state() == relay::RelayClient::State::kStopped) {
    return fail(LinkChannelErrc::kBadOption, "link over the relay: " + impl->last_why);
  }
  return std::unique_ptr<RelayLinkChannel>(new RelayLinkChannel(std::move(impl)));
}

RelayLinkChannel::RelayLinkChannel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
// The client's destructor stops it without calling back; it goes before the outbox and the database.
RelayLinkChannel::~RelayLinkChannel() { impl_->stopped = true; }

Result<void> RelayLinkChannel::send(ByteView message) { return impl_->send(message); }
void RelayLinkChannel::stop() { impl_->stop(); }

Result<void> RelayLinkChannel::set_outbound_topic(const std::string& topic) {
  if (!is_topic(topic) || topic == impl_->options.inbound_topic) {
    return fail(LinkChannelErrc::kBadOption, "link over the relay: the outbound topic must be 64 lowercase hex "
                                             "characters, other than the inbound one");
  }
  impl_->options.outbound_topic = topic;
  return {};
}

const std::string& RelayLinkChannel::outbound_topic() const noexcept { return impl_->options.outbound_topic; }
bool RelayLinkChannel::up() const noexcept { return impl_->is_up; }
const LinkChannelStats& RelayLinkChannel::stats() const noexcept { return impl_->stats; }

}  // namespace keylink::runtime
