#include "http_session.h"

#include "keylink/relay/auth.h"
#include "websocket_session.h"

namespace keylink::relay {
namespace http = beast::http;

namespace {

constexpr std::chrono::seconds kRequestTimeout{10};
constexpr std::uint32_t kMaxHeaderBytes = 8192;
constexpr std::uint64_t kMaxBodyBytes = 1024;
// WebSocket close code for a refused auth token, as WalletConnect's relay uses it.
constexpr std::uint16_t kCloseUnauthorized = 3000;

std::string_view view(beast::string_view text) { return {text.data(), text.size()}; }

}  // namespace

HttpSession::HttpSession(asio::ip::tcp::socket socket, std::shared_ptr<ServerState> server)
    : stream_(std::move(socket)), server_(std::move(server)) {}

void HttpSession::run() { read(); }

void HttpSession::read() {
  parser_.emplace();
  parser_->header_limit(kMaxHeaderBytes);
  parser_->body_limit(kMaxBodyBytes);
  stream_.expires_after(kRequestTimeout);
  http::async_read(stream_, buffer_, *parser_,
                   [self = shared_from_this()](beast::error_code error, std::size_t) { self->on_read(error); });
}

void HttpSession::on_read(beast::error_code error) {
  if (error) return;  // closed, timed out, or not HTTP: nothing to answer
  const auto& request = parser_->get();
  if (beast::websocket::is_upgrade(request)) return upgrade();
  const std::string_view target = view(request.target());
  const std::string_view path = target.substr(0, target.find('?'));
  if (request.method() == http::verb::get && path == "/health") {
    return respond(http::status::ok, "application/json",
                   "{\"status\":\"ok\",\"connections\":" + std::to_string(server_->sessions.size()) + "}\n");
  }
  if (request.method() == http::verb::get && path == "/metrics") {
    return respond(http::status::ok, "text/plain; version=0.0.4", server_->handler.metrics().to_prometheus());
  }
  respond(http::status::not_found, "text/plain", "keylink-relay: WebSocket on /, GET /health, GET /metrics\n");
}

void HttpSession::respond(http::status status, std::string content_type, std::string body) {
  response_ = http::response<http::string_body>(status, parser_->get().version());
  response_.set(http::field::server, "keylink-relay");
  response_.set(http::field::content_type, content_type);
  response_.keep_alive(parser_->get().keep_alive());
  response_.body() = std::move(body);
  response_.prepare_payload();
  http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code error, std::size_t) {
    if (!error && self->response_.keep_alive()) return self->read();
    self->stream_.socket().shutdown(asio::socket_base::shutdown_send, error);
  });
}

void HttpSession::upgrade() {
  stream_.expires_never();
  UpgradeRequest request = parser_->release();
  beast::error_code ignored;
  const std::string ip = stream_.socket().remote_endpoint(ignored).address().to_string();
  const Limits& limits = server_->options.limits;
  Metrics& metrics = server_->handler.metrics();
  const std::string_view target = view(request.target());
  auto token = auth_token(target, view(request[http::field::authorization]));
  auto client = authenticate(token, server_->options.public_urls, server_->clock.unix_seconds());
  auto session = std::make_shared<WebsocketSession>(stream_.release_socket(), client.value_or(""), ip, server_);
  auto& log = *server_->options.log;
  if (!client) {
    log.info("msg=\"auth refused\" ip={} reason=\"{}\"", ip, client.error().message);
    ++metrics.errors["auth"];
    return session->refuse(request, kCloseUnauthorized, client.error().message);
  }
  if (server_->draining)
    return session->refuse(request, beast::websocket::close_code::going_away, "relay shutting down");
  if (server_->sessions.size() >= limits.max_connections) {
    log.warn("msg=\"connection refused: relay full\" ip={} limit={}", ip, limits.max_connections);
    ++metrics.errors["connection_limit"];
    return session->refuse(
        request, beast::websocket::close_code::try_again_later,
        "relay full: " + std::to_string(limits.max_connections) + " connections (--max-connections)");
  }
  if (auto found = server_->sessions_per_ip.find(ip);
      found != server_->sessions_per_ip.end() && found->second >= limits.max_connections_per_ip) {
    log.info("msg=\"connection refused: per-IP limit\" ip={} limit={}", ip, limits.max_connections_per_ip);
    ++metrics.errors["connection_limit"];
    return session->refuse(request, beast::websocket::close_code::try_again_later,
                           "too many connections from " + ip + " (--max-connections-per-ip " +
                               std::to_string(limits.max_connections_per_ip) + ")");
  }
  if (server_->options.bench_forward) {
    session->bench_group = query_param(target, "group");
    session->bench_publisher = query_param(target, "role") == "pub";
  }
  log.debug("msg=\"connected\" ip={} client={}", ip, *client);
  session->run(request);
}

}  // namespace keylink::relay
