// One HTTP connection before it becomes a WebSocket: GET /health, GET /metrics, or the upgrade (with
// its authentication and connection limits). Over TLS, the handshake comes first: one that fails or
// does not finish within its time is logged, counted (errors{kind="tls_handshake"}) and dropped.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "server_state.h"

namespace keylink::relay {

// Stream: beast::tcp_stream or TlsStream (server_state.h).
template <class Stream>
class BasicHttpSession final : public std::enable_shared_from_this<BasicHttpSession<Stream>> {
 public:
  // Counts itself among the server's connections that have not upgraded, from `network`, while it lives.
  // REQUIRES: for TlsStream, `server` has its TLS context.
  BasicHttpSession(asio::ip::tcp::socket socket, std::shared_ptr<ServerState> server, std::string network);
  ~BasicHttpSession();
  void run();

 private:
  void on_handshake(beast::error_code error, const std::string& ip);
  void read();
  void on_read(beast::error_code error);
  void handle_request();
  void upgrade();
  // Answers the upgrade with 101 and hands the socket to a WebsocketSession that serves the client, or
  // that closes at once with `refusal` (a close code and its reason) when it has one.
  void switch_protocols(std::string client_id, std::string ip, std::uint16_t refusal, std::string reason);
  void hand_over(std::string client_id, std::string ip, std::uint16_t refusal, std::string_view reason);
  void respond(beast::http::status status, std::string content_type, std::string body);

  Stream stream_;
  std::shared_ptr<ServerState> server_;
  std::string network_;
  std::chrono::steady_clock::time_point upgrade_deadline_;  // Limits::upgrade_timeout after the accept
  beast::flat_buffer buffer_;
  std::optional<beast::http::request_parser<beast::http::string_body>> parser_;
  beast::http::response<beast::http::string_body> response_;
  beast::http::response<beast::http::empty_body> switching_;
};

using HttpSession = BasicHttpSession<beast::tcp_stream>;
using TlsHttpSession = BasicHttpSession<TlsStream>;

}  // namespace keylink::relay
