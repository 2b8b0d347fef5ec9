#include "websocket_session.h"

#include <string_view>

namespace keylink::relay {
namespace websocket = beast::websocket;

namespace {

// How long a closing handshake (and the opening one) may take before the socket is just closed.
constexpr std::chrono::seconds kHandshakeTimeout{10};

}  // namespace

WebsocketSession::WebsocketSession(asio::ip::tcp::socket socket, std::string client_id, std::string ip,
                                   std::shared_ptr<ServerState> server)
    : Peer(std::move(client_id)),
      ws_(CorkedStream(std::move(socket))),
      ip_(std::move(ip)),
      server_(std::move(server)),
      timer_(server_->io) {}

WebsocketSession::~WebsocketSession() = default;

void WebsocketSession::configure() {
  websocket::stream_base::timeout timeout{};
  timeout.handshake_timeout = kHandshakeTimeout;
  timeout.idle_timeout = websocket::stream_base::none();  // ours pings at ping_interval, below
  timeout.keep_alive_pings = false;
  ws_.set_option(timeout);
  ws_.read_message_max(server_->options.limits.max_frame_bytes);
  ws_.auto_fragment(false);
  ws_.text(true);
  ws_.control_callback(
      [this](websocket::frame_type, beast::string_view) { last_heard_ = std::chrono::steady_clock::now(); });
}

void WebsocketSession::run(const UpgradeRequest& upgrade) {
  configure();
  server_->sessions.insert(this);
  ++server_->sessions_per_ip[ip_];
  ws_.async_accept(upgrade, [self = shared_from_this()](beast::error_code error) {
    if (error) return self->finish();
    self->attached_ = true;
    self->server_->handler.attach(*self);
    self->last_heard_ = std::chrono::steady_clock::now();
    self->tick();
    self->read();
  });
}

void WebsocketSession::refuse(const UpgradeRequest& upgrade, std::uint16_t code, std::string reason) {
  configure();
  close_reason_ = websocket::close_reason(static_cast<websocket::close_code>(code), beast::string_view(reason));
  ws_.async_accept(upgrade, [self = shared_from_this()](beast::error_code error) {
    if (error) return;
    self->closing_ = true;
    self->start_close();
  });
}

void WebsocketSession::read() {
  ws_.async_read(
      buffer_, [self = shared_from_this()](beast::error_code error, std::size_t size) { self->on_read(error, size); });
}

void WebsocketSession::on_read(beast::error_code error, std::size_t size) {
  if (error) {
    if (error == websocket::error::message_too_big) ++server_->handler.metrics().errors["frame_size"];
    if (error == websocket::error::bad_frame_payload) ++server_->handler.metrics().errors["utf8"];
    return finish();
  }
  last_heard_ = std::chrono::steady_clock::now();
  if (!closing_) {
    if (!ws_.got_text()) {
      close(websocket::close_code::unknown_data, "binary frames are not supported: send JSON-RPC as text");
    } else {
      const auto data = buffer_.cdata();
      server_->handler.on_frame(*this, std::string_view(static_cast<const char*>(data.data()), size));
    }
  }
  buffer_.consume(buffer_.size());
  read();  // until the connection ends: Beast needs a reader to see the peer's close frame
}

void WebsocketSession::send(std::string frame) {
  if (!attached_ || closing_ || finished_) return;
  auto& stream = ws_.next_layer();
  const std::size_t limit = server_->options.limits.max_queued_bytes;
  if (stream.queued_bytes() + frame.size() > limit) {
    ++server_->handler.metrics().errors["slow_consumer"];
    return close(websocket::close_code::policy_error,
                 "slow consumer: over " + std::to_string(limit) + " bytes queued (--max-queued-bytes)");
  }
  stream.append_text_frame(frame);
}

void WebsocketSession::close(std::uint16_t code, std::string_view reason) {
  if (closing_ || finished_) return;
  closing_ = true;
  server_->options.log->info("msg=\"closing\" ip={} client={} code={} reason=\"{}\"", ip_, client_id(), code, reason);
  reason = reason.substr(0, 123);  // a close frame carries at most 123 bytes of reason
  close_reason_ = websocket::close_reason(static_cast<websocket::close_code>(code),
                                          beast::string_view(reason.data(), reason.size()));
  start_close();
}

void WebsocketSession::start_close() {
  ws_.async_close(close_reason_, [self = shared_from_this()](beast::error_code) { self->finish(); });
}

// Every ping_interval: ping a peer that was quiet that long, drop one silent for idle_timeout.
void WebsocketSession::tick() {
  timer_.expires_after(server_->options.limits.ping_interval);
  timer_.async_wait([self = shared_from_this()](beast::error_code error) {
    if (error || self->finished_) return;
    const auto quiet = std::chrono::steady_clock::now() - self->last_heard_;
    if (quiet >= self->server_->options.limits.idle_timeout) {
      ++self->server_->handler.metrics().errors["idle"];
      self->close(websocket::close_code::going_away, "silent for too long (--idle-timeout)");
      return;
    }
    if (quiet >= self->server_->options.limits.ping_interval && !self->closing_) {
      self->ws_.async_ping({}, [](beast::error_code) {});
    }
    self->tick();
  });
}

void WebsocketSession::finish() {
  if (finished_) return;
  finished_ = true;
  timer_.cancel();
  if (attached_) server_->options.log->debug("msg=\"disconnected\" ip={} client={}", ip_, client_id());
  if (attached_) server_->handler.detach(*this);
  attached_ = false;
  if (server_->sessions.erase(this) != 0 && --server_->sessions_per_ip[ip_] == 0) server_->sessions_per_ip.erase(ip_);
  if (server_->draining && server_->sessions.empty() && server_->on_drained) std::exchange(server_->on_drained, {})();
  beast::error_code ignored;
  ws_.next_layer().socket().close(ignored);
}

}  // namespace keylink::relay
