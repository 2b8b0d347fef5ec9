// What the listener and the sessions of one server share. Lives on the event loop; not thread-safe.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include <utility>  // before Boost.Asio (Boost 1.74, g++ 12, C++20)

#include <boost/asio.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include "keylink/relay/server.h"

namespace keylink::relay {

namespace asio = boost::asio;
namespace beast = boost::beast;

// A wss:// connection: TLS over a stream whose timeouts bound the handshake and the HTTP request.
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// The socket under a connection's stream, for what TLS leaves to TCP (the address, shutdown, close).
inline asio::ip::tcp::socket& tcp_socket(asio::ip::tcp::socket& socket) { return socket; }
inline asio::ip::tcp::socket& tcp_socket(beast::tcp_stream& stream) { return stream.socket(); }
inline asio::ip::tcp::socket& tcp_socket(TlsStream& stream) { return beast::get_lowest_layer(stream).socket(); }

struct ServerState {
  ServerState(asio::io_context& io_, ServerOptions options_, PeerHandler& handler_, const Clock& clock_)
      : io(io_), options(std::move(options_)), handler(handler_), clock(clock_), acceptor(io_) {}

  asio::io_context& io;
  ServerOptions options;
  PeerHandler& handler;
  const Clock& clock;
  asio::ip::tcp::acceptor acceptor;
  std::optional<asio::ssl::context> tls;  // with --tls-cert and --tls-key: every connection is TLS
  std::unordered_set<Peer*> sessions;     // the WebSocket sessions attached to the handler
  std::unordered_map<std::string, std::size_t> sessions_per_ip;  // by network (network.h)
  // HTTP connections not upgraded (yet): HttpSessions alive.
  std::size_t pending = 0;
  std::unordered_map<std::string, std::size_t> pending_per_ip;  // by network
  bool draining = false;
  std::function<void()> on_drained;
};

}  // namespace keylink::relay
