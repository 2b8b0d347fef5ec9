// The relay's network side: WebSocket + JSON-RPC on one port, with GET /health and GET /metrics beside;
// plain (ws://, http://) or, given a certificate and its key, TLS only (wss://, https://).
// It accepts connections, authenticates them (relay-auth JWT), enforces the connection and queue
// limits, and hands frames to a PeerHandler (the relay core). Runs on one io_context thread.
#pragma once

#include <utility>  // before Boost.Asio (Boost 1.74, g++ 12, C++20)

#include <spdlog/logger.h>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "keylink/base/clock.h"
#include "keylink/base/result.h"
#include "keylink/relay/limits.h"
#include "keylink/relay/peer.h"

namespace keylink::relay {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8787;
  std::vector<std::string> public_urls;  // the `aud` tokens may name; empty means ws(s)://HOST:PORT
  // PEM files: the certificate chain (the server's first) and its private key. Both set: the listener
  // speaks TLS 1.2 or later only; both empty: plain TCP.
  std::string tls_cert_file;
  std::string tls_key_file;
  Limits limits;
  bool bench_forward = false;           // peers declare ?role=pub|sub&group=G for the Forwarder
  std::shared_ptr<spdlog::logger> log;  // connection events; none logs nothing
};

struct ServerState;

class Server {
 public:
  // handler and clock must outlive the server.
  Server(boost::asio::io_context& io, ServerOptions options, PeerHandler& handler, const Clock& clock);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Loads the TLS certificate and key if given, binds and starts accepting; returns "ws://HOST:PORT"
  // (or "wss://HOST:PORT") with the port actually bound (0 picks one). Fails with a message that names
  // the file or the address.
  Result<std::string> listen();
  // Stops accepting and closes every connection with 1001 (going away); `done` runs once they are all
  // gone, or after `grace` at the latest.
  void drain(std::chrono::milliseconds grace, std::function<void()> done);

 private:
  std::shared_ptr<ServerState> state_;
};

}  // namespace keylink::relay
