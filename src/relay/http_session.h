// One HTTP connection before it becomes a WebSocket: GET /health, GET /metrics, or the upgrade (with
// its authentication and connection limits).
#pragma once

#include <memory>
#include <optional>

#include <boost/beast/http.hpp>

#include "corked_stream.h"
#include "server_state.h"

namespace keylink::relay {

class HttpSession final : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(asio::ip::tcp::socket socket, std::shared_ptr<ServerState> server);
  void run();

 private:
  void read();
  void on_read(beast::error_code error);
  void upgrade();
  void respond(beast::http::status status, std::string content_type, std::string body);

  beast::tcp_stream stream_;
  std::shared_ptr<ServerState> server_;
  beast::flat_buffer buffer_;
  std::optional<beast::http::request_parser<beast::http::string_body>> parser_;
  beast::http::response<beast::http::string_body> response_;
};

}  // namespace keylink::relay
