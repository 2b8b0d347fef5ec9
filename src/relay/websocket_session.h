// One WebSocket connection: reads frames into the PeerHandler and writes its frames straight into the
// CorkedStream's bounded buffer. Pings a quiet peer and drops a silent one.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <boost/beast/http.hpp>

#include "corked_stream.h"
#include "keylink/relay/peer.h"
#include "server_state.h"

namespace keylink::relay {

using UpgradeRequest = beast::http::request<beast::http::string_body>;

class WebsocketSession final : public Peer, public std::enable_shared_from_this<WebsocketSession> {
 public:
  WebsocketSession(asio::ip::tcp::socket socket, std::string client_id, std::string ip,
                   std::shared_ptr<ServerState> server);
  ~WebsocketSession() override;

  // Completes the upgrade and serves the peer until it goes.
  void run(const UpgradeRequest& upgrade);
  // Completes the upgrade only to close at once with `code` and `reason` (a refused client).
  void refuse(const UpgradeRequest& upgrade, std::uint16_t code, std::string reason);

  void send(std::string frame) override;
  void close(std::uint16_t code, std::string_view reason) override;

 private:
  void configure();
  void read();
  void on_read(beast::error_code error, std::size_t size);
  void start_close();
  void tick();
  void finish();

  beast::websocket::stream<CorkedStream> ws_;
  std::string ip_;
  std::shared_ptr<ServerState> server_;
  beast::flat_buffer buffer_;
  bool attached_ = false;
  bool closing_ = false;
  bool finished_ = false;
  beast::websocket::close_reason close_reason_;
  asio::steady_timer timer_;
  std::chrono::steady_clock::time_point last_heard_;
};

}  // namespace keylink::relay
