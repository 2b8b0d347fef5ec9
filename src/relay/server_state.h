// What the listener and the sessions of one server share. Lives on the event loop; not thread-safe.
#pragma once

#include <string>
#include <unordered_map>
#include <unordered_set>

#include <utility>  // before Boost.Asio (Boost 1.74, g++ 12, C++20)

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include "keylink/relay/server.h"

namespace keylink::relay {

namespace asio = boost::asio;
namespace beast = boost::beast;

class WebsocketSession;

struct ServerState {
  ServerState(asio::io_context& io_, ServerOptions options_, PeerHandler& handler_, const Clock& clock_)
      : io(io_), options(std::move(options_)), handler(handler_), clock(clock_), acceptor(io_) {}

  asio::io_context& io;
  ServerOptions options;
  PeerHandler& handler;
  const Clock& clock;
  asio::ip::tcp::acceptor acceptor;
  std::unordered_set<WebsocketSession*> sessions;
  std::unordered_map<std::string, std::size_t> sessions_per_ip;  // by network (network.h)
  // HTTP connections not upgraded (yet): HttpSessions alive.
  std::size_t pending = 0;
  std::unordered_map<std::string, std::size_t> pending_per_ip;  // by network
  bool draining = false;
  std::function<void()> on_drained;
};

}  // namespace keylink::relay
