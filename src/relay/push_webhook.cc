#include "keylink/relay/push_webhook.h"

#include <algorithm>
#include <charconv>
#include <deque>

#include <boost/asio.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "json_text.h"
#include "keylink/relay/errors.h"
#include "keylink/relay/logfmt.h"

namespace keylink::relay {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

constexpr std::size_t kMaxAnswerHeader = 8 << 10;

struct Job {
  std::string body;
  int attempts = 0;
};

struct Endpoint {
  std::string host;  // without brackets for IPv6
  std::string port;
  std::string host_header;
  std::string target;
};

Result<Endpoint> parse_http_url(std::string_view url) {
  auto bad = [&](const std::string& why) {
    return fail(Errc::kBadOption, "--push-webhook '" + std::string(url) + "': " + why);
  };
  if (url.starts_with("https://")) {
    return bad("https is not supported (the relay has no TLS client); use http://, e.g. to a local forwarder");
  }
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) return bad("expected http://HOST[:PORT][/PATH]");
  const std::string_view rest = url.substr(kScheme.size());
  const std::size_t slash = rest.find('/');
  Endpoint endpoint;
  endpoint.host_header = std::string(rest.substr(0, slash));
  endpoint.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  std::string_view authority = endpoint.host_header;
  std::string_view port = "80";
  if (authority.starts_with('[')) {  // [IPv6]:PORT
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("unclosed [ in the host");
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return bad("expected :PORT after ]");
      port = authority.substr(close + 2);
    }
    endpoint.host = std::string(authority.substr(1, close - 1));
  } else {
    const std::size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    endpoint.host = std::string(authority.substr(0, colon));
  }
  std::uint16_t number = 0;
  const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (endpoint.host.empty()) return bad("no host");
  if (error != std::errc{} || end != port.data() + port.size() || number == 0) return bad("bad port");
  endpoint.port = std::string(port);
  return endpoint;
}

}  // namespace

struct PushWebhook::State : std::enable_shared_from_this<State> {
  State(asio::io_context& io_, Endpoint endpoint_, PushWebhookOptions options_)
      : io(io_), endpoint(std::move(endpoint_)), options(std::move(options_)) {}

  void pump();
  // An attempt at the job ended: with an empty `failure`, answered 2xx.
  void finished(const std::shared_ptr<Job>& job, const std::string& failure);

  asio::io_context& io;
  Endpoint endpoint;
  PushWebhookOptions options;
  PushCounts counts;
  std::size_t queued = 0;  // jobs not finished: ready, in flight or in a pause
  std::size_t in_flight = 0;
  std::deque<std::shared_ptr<Job>> ready;
  bool closed = false;  // the webhook is gone: what is under way ends without a next step
};

namespace {

// One POST: resolve, connect, write, read the answer's header; all under one deadline.
class Attempt : public std::enable_shared_from_this<Attempt> {
 public:
  Attempt(std::shared_ptr<PushWebhook::State> state, std::shared_ptr<Job> job)
      : state_(std::move(state)),
        job_(std::move(job)),
        resolver_(state_->io),
        socket_(state_->io),
        deadline_(state_->io) {}

  void run() {
    const Endpoint& endpoint = state_->endpoint;
    request_ = {http::verb::post, endpoint.target, 11};
    request_.set(http::field::host, endpoint.host_header);
    request_.set(http::field::user_agent, "keylink-relay");
    request_.set(http::field::content_type, "application/json");
    request_.set(http::field::connection, "close");
    request_.body() = job_->body;
    request_.prepare_payload();
    parser_.header_limit(kMaxAnswerHeader);
    deadline_.expires_after(state_->options.request_timeout);
    deadline_.async_wait([self = shared_from_this()](boost::system::error_code error) {
      if (error) return;
      self->timed_out_ = true;
      self->resolver_.cancel();
      boost::system::error_code ignored;
      self->socket_.close(ignored);
    });
    resolver_.async_resolve(
        endpoint.host, endpoint.port,
        [self = shared_from_this()](boost::system::error_code error, tcp::resolver::results_type found) {
          if (error) return self->finish("cannot resolve the host", error);
          self->connect(found);
        });
  }

 private:
  void connect(const tcp::resolver::results_type& endpoints) {
    asio::async_connect(
        socket_, endpoints, [self = shared_from_this()](boost::system::error_code error, const tcp::endpoint&) {
          if (error) return self->finish("cannot connect", error);
          http::async_write(self->socket_, self->request_, [self](boost::system::error_code written, std::size_t) {
            if (written) return self->finish("cannot send", written);
            self->read();
          });
        });
  }

  void read() {
    http::async_read_header(socket_, buffer_, parser_,
                            [self = shared_from_this()](boost::system::error_code error, std::size_t) {
                              if (error) return self->finish("no answer", error);
                              const unsigned status = self->parser_.get().result_int();
                              const bool ok = status >= 200 && status <= 299;
                              self->finish(ok ? std::string() : "answered " + std::to_string(status), {});
                            });
  }

  void finish(const std::string& failure, boost::system::error_code error) {
    deadline_.cancel();
    boost::system::error_code ignored;
    socket_.close(ignored);
    std::string why = failure;
    if (!why.empty() && timed_out_) {
      why = "no answer within " + std::to_string(state_->options.request_timeout.count()) + " ms";
    } else if (error) {
      why += ": " + error.message();
    }
    state_->finished(job_, why);
  }

  std::shared_ptr<PushWebhook::State> state_;
  std::shared_ptr<Job> job_;
  tcp::resolver resolver_;
  tcp::socket socket_;
  asio::steady_timer deadline_;
  bool timed_out_ = false;
  http::request<http::string_body> request_;
  boost::beast::flat_buffer buffer_{kMaxAnswerHeader};
  http::response_parser<http::empty_body> parser_;
};

}  // namespace

void PushWebhook::State::pump() {
  while (!closed && in_flight < options.max_in_flight && !ready.empty()) {
    ++in_flight;
    std::make_shared<Attempt>(shared_from_this(), std::move(ready.front()))->run();
    ready.pop_front();
  }
}

void PushWebhook::State::finished(const std::shared_ptr<Job>& job, const std::string& failure) {
  --in_flight;
  if (closed) return;
  ++job->attempts;
  if (failure.empty() || job->attempts >= options.max_attempts) {
    --queued;
    ++(failure.empty() ? counts.sent : counts.failed);
    if (!failure.empty() && options.log) {
      options.log->warn("msg=\"push webhook failed\" attempts={} why={}", job->attempts, logfmt_value(failure));
    }
    return pump();
  }
  if (options.log) options.log->debug("msg=\"push webhook attempt failed\" why={}", logfmt_value(failure));
  auto pause = std::make_shared<asio::steady_timer>(io, options.first_pause * (1 << std::min(job->attempts - 1, 16)));
  pause->async_wait([self = shared_from_this(), pause, job](boost::system::error_code) {
    if (self->closed) return;
    self->ready.push_back(job);
    self->pump();
  });
  pump();
}

std::string push_body(const PushNotice& notice) {
  std::string body = "{\"clientId\":";
  append_json_string(body, notice.client_id);
  body += ",\"topic\":";
  append_json_string(body, notice.topic);
  body += ",\"tag\":";
  append_int(body, notice.tag);
  body += '}';
  return body;
}

Result<std::unique_ptr<PushWebhook>> PushWebhook::open(asio::io_context& io, std::string_view url,
                                                       PushWebhookOptions options) {
  auto endpoint = parse_http_url(url);
  if (!endpoint) return fail(std::move(endpoint.error()));
  return std::unique_ptr<PushWebhook>(
      new PushWebhook(std::make_shared<State>(io, std::move(*endpoint), std::move(options))));
}

PushWebhook::~PushWebhook() { state_->closed = true; }

void PushWebhook::notify(PushNotice notice) {
  State& state = *state_;
  if (state.queued >= state.options.max_queued) {
    ++state.counts.dropped;
    return;
  }
  ++state.queued;
  state.ready.push_back(std::make_shared<Job>(Job{push_body(notice), 0}));
  state.pump();
}

PushCounts PushWebhook::counts() const noexcept { return state_->counts; }

}  // namespace keylink::relay
