// Test-only: relays on 127.0.0.1 for the tests of relay clients and the nodes over them.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <gtest/gtest.h>

#include "keylink/base/clock.h"
#include "keylink/relay/relay_core.h"
#include "keylink/relay/server.h"

namespace keylink::testing {

// The real relay (RelayCore + Server) listening on a free port of 127.0.0.1, on the test's io_context
// and clock, with no publish rate limit.
struct LoopbackRelay {
  LoopbackRelay(boost::asio::io_context& io, const Clock& clock) {
    limits.publishes_per_second = 0;
    core = std::make_unique<relay::RelayCore>(limits, clock, nullptr);
    EXPECT_TRUE(core->load());
    relay::ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.limits = limits;
    server = std::make_unique<relay::Server>(io, options, *core, clock);
    auto listening = server->listen();
    EXPECT_TRUE(listening) << listening.error().message;
    url = listening.value_or("");
  }

  relay::Limits limits;
  std::unique_ptr<relay::RelayCore> core;
  std::unique_ptr<relay::Server> server;
  std::string url;
};

// Publishes straight into a relay core, as a client that is not on the network.
class CorePeer final : public relay::Peer {
 public:
  using Peer::Peer;
  void send(std::string_view) override {}
  void close(std::uint16_t, std::string_view) override {}
};

// A WebSocket server that accepts any client and reads everything, answering nothing.
class SilentRelay {
 public:
  explicit SilentRelay(boost::asio::io_context& io) : acceptor_(io, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    accept();
  }
  std::string url() const { return "ws://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()); }

 private:
  using Stream = boost::beast::websocket::stream<boost::beast::tcp_stream>;
  void accept() {
    acceptor_.async_accept([this](boost::system::error_code error, boost::asio::ip::tcp::socket socket) {
      if (error) return;
      auto ws = std::make_shared<Stream>(std::move(socket));
      ws->async_accept([ws](boost::system::error_code failed) {
        if (!failed) read(ws);
      });
      accept();
    });
  }
  static void read(std::shared_ptr<Stream> ws) {
    auto buffer = std::make_shared<boost::beast::flat_buffer>();
    ws->async_read(*buffer, [ws, buffer](boost::system::error_code error, std::size_t) {
      if (!error) read(ws);
    });
  }
  boost::asio::ip::tcp::acceptor acceptor_;
};

}  // namespace keylink::testing
