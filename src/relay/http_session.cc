#include "http_session.h"

#include <openssl/sha.h>

#include <array>

#include "keylink/base/encoding.h"
#include "keylink/relay/auth.h"
#include "keylink/relay/logfmt.h"
#include "json_text.h"
#include "websocket_session.h"

namespace keylink::relay {
namespace http = beast::http;

namespace {

// The bound on an HTTP request, and before it on a TLS handshake.
constexpr std::chrono::seconds kRequestTimeout{10};
constexpr std::uint32_t kMaxHeaderBytes = 8192;
constexpr std::uint64_t kMaxBodyBytes = 1024;
// WebSocket close code for a refused auth token, as WalletConnect's relay uses it.
constexpr std::uint16_t kCloseUnauthorized = 3000;
constexpr const char* kWebsocketGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

std::string_view view(beast::string_view text) { return {text.data(), text.size()}; }

template <class Stream>
constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

template <class Stream>
Stream make_stream(asio::ip::tcp::socket socket, ServerState& server) {
  if constexpr (kTls<Stream>) {
    return Stream(std::move(socket), *server.tls);
  } else {
    return Stream(std::move(socket));
  }
}

}  // namespace

template <class Stream>
BasicHttpSession<Stream>::BasicHttpSession(asio::ip::tcp::socket socket, std::shared_ptr<ServerState> server,
                                           std::string network)
    : stream_(make_stream<Stream>(std::move(socket), *server)),
      server_(std::move(server)),
      network_(std::move(network)),
      upgrade_deadline_(std::chrono::steady_clock::now() + server_->options.limits.upgrade_timeout) {
  ++server_->pending;
  ++server_->pending_per_ip[network_];
}

template <class Stream>
BasicHttpSession<Stream>::~BasicHttpSession() {
  --server_->pending;
  // Only the server's state here: the handler may be gone already (sessions can outlive it at exit).
  if (--server_->pending_per_ip[network_] == 0) server_->pending_per_ip.erase(network_);
}

template <class Stream>
void BasicHttpSession<Stream>::run() {
  if constexpr (kTls<Stream>) {
    // The handshake has a request's bound (and the upgrade's): a client that opens TCP and stays silent
    // is dropped.
    beast::error_code ignored;
    std::string ip = tcp_socket(stream_).remote_endpoint(ignored).address().to_string();
    const auto left = upgrade_deadline_ - std::chrono::steady_clock::now();
    beast::get_lowest_layer(stream_).expires_after(
        std::min<std::chrono::steady_clock::duration>(kRequestTimeout, left));
    stream_.async_handshake(asio::ssl::stream_base::server,
                            [self = this->shared_from_this(), ip = std::move(ip)](beast::error_code error) {
                              self->on_handshake(error, ip);
                            });
  } else {
    read();
  }
}

template <class Stream>
void BasicHttpSession<Stream>::on_handshake(beast::error_code error, const std::string& ip) {
  if (!error) return read();
  server_->options.log->info("msg=\"tls handshake failed\" ip={} reason={}", ip,
                             logfmt_value(error == beast::error::timeout ? "timed out" : error.message()));
  ++server_->handler.metrics().errors["tls_handshake"];
}

template <class Stream>
void BasicHttpSession<Stream>::read() {
  parser_.emplace();
  parser_->header_limit(kMaxHeaderBytes);
  parser_->body_limit(kMaxBodyBytes);
  // Each request has kRequestTimeout, and all of them together (keep-alive /health loops, say) end at the
  // upgrade deadline: a connection is not kept waiting for its upgrade for ever.
  const auto left = upgrade_deadline_ - std::chrono::steady_clock::now();
  if (left <= std::chrono::steady_clock::duration::zero()) {
    ++server_->handler.metrics().errors["upgrade_timeout"];
    beast::error_code ignored;
    return void(tcp_socket(stream_).close(ignored));
  }
  beast::get_lowest_layer(stream_).expires_after(std::min<std::chrono::steady_clock::duration>(kRequestTimeout, left));
  http::async_read(stream_, buffer_, *parser_,
                   [self = this->shared_from_this()](beast::error_code error, std::size_t) { self->on_read(error); });
}

template <class Stream>
void BasicHttpSession<Stream>::on_read(beast::error_code error) {
  if (error == beast::error::timeout && std::chrono::steady_clock::now() >= upgrade_deadline_) {
    ++server_->handler.metrics().errors["upgrade_timeout"];
  }
  if (error) return;  // closed, timed out, or not HTTP: nothing to answer
  // As for a WebSocket connection: an exception while one request is handled ends that connection only.
  try {
    handle_request();
  } catch (const std::exception& e) {
    ++server_->handler.metrics().errors["exception"];
    server_->options.log->error("msg=\"connection dropped after an exception\" what={}", logfmt_value(e.what()));
    beast::error_code ignored;
    tcp_socket(stream_).close(ignored);
  }
}

template <class Stream>
void BasicHttpSession<Stream>::handle_request() {
  const auto& request = parser_->get();
  if (beast::websocket::is_upgrade(request)) return upgrade();
  const std::string_view target = view(request.target());
  const std::string_view path = target.substr(0, target.find('?'));
  if (request.method() == http::verb::get && path == "/health") {
    // A cluster node that has lost NATS cannot keep what is published to it: 503, so that a load
    // balancer sends clients elsewhere.
    const auto& cluster = server_->handler.metrics().cluster;
    const bool up = !cluster || cluster->connected;
    std::string body = std::string("{\"status\":\"") + (up ? "ok" : "unavailable") +
                       "\",\"connections\":" + std::to_string(server_->sessions.size());
    if (cluster) {
      body += ",\"cluster\":{\"node\":";
      append_json_string(body, cluster->node);
      body += std::string(",\"nats\":\"") + (cluster->connected ? "connected" : "disconnected") + "\"}";
    }
    return respond(up ? http::status::ok : http::status::service_unavailable, "application/json", body + "}\n");
  }
  if (request.method() == http::verb::get && path == "/metrics") {
    Metrics& metrics = server_->handler.metrics();
    metrics.pending_connections = server_->pending;
    return respond(http::status::ok, "text/plain; version=0.0.4", metrics.to_prometheus());
  }
  respond(http::status::not_found, "text/plain", "keylink-relay: WebSocket on /, GET /health, GET /metrics\n");
}

template <class Stream>
void BasicHttpSession<Stream>::respond(http::status status, std::string content_type, std::string body) {
  response_ = http::response<http::string_body>(status, parser_->get().version());
  response_.set(http::field::server, "keylink-relay");
  response_.set(http::field::content_type, content_type);
  response_.keep_alive(parser_->get().keep_alive());
  response_.body() = std::move(body);
  response_.prepare_payload();
  http::async_write(stream_, response_, [self = this->shared_from_this()](beast::error_code error, std::size_t) {
    if (!error && self->response_.keep_alive()) return self->read();
    tcp_socket(self->stream_).shutdown(asio::socket_base::shutdown_send, error);
  });
}

template <class Stream>
void BasicHttpSession<Stream>::upgrade() {
  const auto& request = parser_->get();
  if (request[http::field::sec_websocket_version] != "13") {
    response_ = {};
    response_.set(http::field::sec_websocket_version, "13");
    return respond(http::status::upgrade_required, "text/plain", "WebSocket version 13 only\n");
  }
  auto key = from_base64(view(request[http::field::sec_websocket_key]));
  if (!key || key->size() != 16) {
    return respond(http::status::bad_request, "text/plain", "Sec-WebSocket-Key must be 16 bytes in base64\n");
  }
  beast::error_code ignored;
  std::string ip = tcp_socket(stream_).remote_endpoint(ignored).address().to_string();
  const Limits& limits = server_->options.limits;
  Metrics& metrics = server_->handler.metrics();
  auto& log = *server_->options.log;
  const std::string_view target = view(request.target());
  auto client = authenticate(auth_token(target, view(request[http::field::authorization])),
                             server_->options.public_urls, server_->clock.unix_seconds());
  if (!client) {
    log.info("msg=\"auth refused\" ip={} reason={}", ip, logfmt_value(client.error().message));
    ++metrics.errors["auth"];
    return switch_protocols("", ip, kCloseUnauthorized, client.error().message);
  }
  if (server_->draining) return switch_protocols("", ip, kCloseGoingAway, "relay shutting down");
  if (server_->sessions.size() >= limits.max_connections) {
    log.warn("msg=\"connection refused: relay full\" ip={} limit={}", ip, limits.max_connections);
    ++metrics.errors["connection_limit"];
    return switch_protocols(
        "", ip, kCloseTryAgainLater,
        "relay full: " + std::to_string(limits.max_connections) + " connections (--max-connections)");
  }
  if (auto found = server_->sessions_per_ip.find(network_);
      found != server_->sessions_per_ip.end() && found->second >= limits.max_connections_per_ip) {
    log.info("msg=\"connection refused: per-IP limit\" ip={} limit={}", ip, limits.max_connections_per_ip);
    ++metrics.errors["connection_limit"];
    return switch_protocols("", ip, kCloseTryAgainLater,
                            "too many connections from " + network_ + " (--max-connections-per-ip " +
                                std::to_string(limits.max_connections_per_ip) + ")");
  }
  log.debug("msg=\"connected\" ip={} client={}", ip, *client);
  switch_protocols(std::move(*client), std::move(ip), 0, "");
}

template <class Stream>
void BasicHttpSession<Stream>::switch_protocols(std::string client_id, std::string ip, std::uint16_t refusal,
                                                std::string reason) {
  const auto& request = parser_->get();
  // RFC 6455 section 4.2.2: the accept key is base64(sha1(key ‖ the protocol's GUID)).
  const std::string salted = std::string(view(request[http::field::sec_websocket_key])) + kWebsocketGuid;
  std::array<unsigned char, SHA_DIGEST_LENGTH> digest{};
  SHA1(reinterpret_cast<const unsigned char*>(salted.data()), salted.size(), digest.data());
  switching_ = {http::status::switching_protocols, request.version()};
  switching_.set(http::field::server, "keylink-relay");
  switching_.set(http::field::upgrade, "websocket");
  switching_.set(http::field::connection, "Upgrade");
  switching_.set(http::field::sec_websocket_accept, to_base64(digest));
  beast::get_lowest_layer(stream_).expires_after(kRequestTimeout);
  http::async_write(stream_, switching_,
                    [self = this->shared_from_this(), client_id = std::move(client_id), ip = std::move(ip), refusal,
                     reason = std::move(reason)](beast::error_code error, std::size_t) mutable {
                      if (error) return;
                      beast::get_lowest_layer(self->stream_).expires_never();
                      self->hand_over(std::move(client_id), std::move(ip), refusal, reason);
                    });
}

template <class Stream>
void BasicHttpSession<Stream>::hand_over(std::string client_id, std::string ip, std::uint16_t refusal,
                                         std::string_view reason) {
  const std::string_view target = view(parser_->get().target());
  auto session = [&] {
    if constexpr (kTls<Stream>) {
      return std::make_shared<TlsWebsocketSession>(std::move(stream_), std::move(client_id), std::move(ip), network_,
                                                   server_);
    } else {
      return std::make_shared<WebsocketSession>(stream_.release_socket(), std::move(client_id), std::move(ip), network_,
                                                server_);
    }
  }();
  // A client may send its first frames right behind its request, and the HTTP reader may have read them.
  session->preload({static_cast<const char*>(buffer_.data().data()), buffer_.size()});
  if (refusal != 0) return session->refuse(refusal, reason);
  if (server_->options.bench_forward) {
    session->bench_group = query_param(target, "group");
    session->bench_publisher = query_param(target, "role") == "pub";
  }
  session->start();
}

template class BasicHttpSession<beast::tcp_stream>;
template class BasicHttpSession<TlsStream>;

}  // namespace keylink::relay
