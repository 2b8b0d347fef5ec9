#include "keylink/relay/server.h"

#include "http_session.h"
#include "keylink/relay/errors.h"
#include "keylink/relay/network.h"
#include "tls_context.h"
#include "websocket_session.h"

namespace keylink::relay {
namespace {

// Whether one more connection that has not upgraded yet is allowed from `network`: counted in all and
// per network, so that slow upgrades and /health loops cannot hold every descriptor.
bool room_before_upgrade(ServerState& state, const std::string& network) {
  const Limits& limits = state.options.limits;
  auto found = state.pending_per_ip.find(network);
  if (state.pending < limits.max_pending_connections &&
      (found == state.pending_per_ip.end() || found->second < limits.max_pending_connections_per_ip)) {
    return true;
  }
  ++state.handler.metrics().errors["pending_limit"];
  state.options.log->debug("msg=\"connection refused: too many not upgraded\" network={}", network);
  return false;
}

void accept(const std::shared_ptr<ServerState>& state) {
  state->acceptor.async_accept([state](beast::error_code error, asio::ip::tcp::socket socket) {
    if (error == asio::error::operation_aborted || !state->acceptor.is_open()) return;
    if (!error) {
      socket.set_option(asio::ip::tcp::no_delay(true), error);
      const auto peer = socket.remote_endpoint(error);
      std::string network = network_of(error ? std::string() : peer.address().to_string());
      if (room_before_upgrade(*state, network)) {
        if (state->tls) {
          std::make_shared<TlsHttpSession>(std::move(socket), state, std::move(network))->run();
        } else {
          std::make_shared<HttpSession>(std::move(socket), state, std::move(network))->run();
        }
      }  // else the socket closes as it goes out of scope
    }
    accept(state);  // a failed accept (out of descriptors, say) must not stop the relay
  });
}

}  // namespace

Server::Server(asio::io_context& io, ServerOptions options, PeerHandler& handler, const Clock& clock)
    : state_(std::make_shared<ServerState>(io, std::move(options), handler, clock)) {
  if (!state_->options.log) state_->options.log = std::make_shared<spdlog::logger>("relay");  // no sinks
}

Server::~Server() {
  beast::error_code ignored;
  state_->acceptor.close(ignored);
}

Result<std::string> Server::listen() {
  const ServerOptions& options = state_->options;
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return fail(Errc::kBadOption, "TLS needs both a certificate (--tls-cert) and its key (--tls-key)");
  }
  if (!options.tls_cert_file.empty()) {
    auto context = server_tls_context(options.tls_cert_file, options.tls_key_file);
    if (!context) return fail(std::move(context.error()));
    state_->tls.emplace(std::move(*context));
  }
  beast::error_code error;
  const auto address = asio::ip::make_address(state_->options.host, error);
  if (error) return fail(Errc::kBadAddress, "cannot listen on '" + state_->options.host + "': not an IP address");
  const asio::ip::tcp::endpoint endpoint(address, state_->options.port);
  auto& acceptor = state_->acceptor;
  acceptor.open(endpoint.protocol(), error);
  if (!error) acceptor.set_option(asio::socket_base::reuse_address(true), error);
  if (!error) acceptor.bind(endpoint, error);
  if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) {
    return fail(Errc::kBadAddress, "cannot listen on " + state_->options.host + ":" +
                                       std::to_string(state_->options.port) + ": " + error.message());
  }
  const auto bound = acceptor.local_endpoint();
  const std::string host =
      bound.address().is_v6() ? "[" + bound.address().to_string() + "]" : bound.address().to_string();
  const std::string url = (state_->tls ? "wss://" : "ws://") + host + ":" + std::to_string(bound.port());
  if (state_->options.public_urls.empty()) state_->options.public_urls.push_back(url);
  accept(state_);
  return url;
}

void Server::drain(std::chrono::milliseconds grace, std::function<void()> done) {
  beast::error_code ignored;
  state_->acceptor.close(ignored);
  state_->draining = true;
  auto once = std::make_shared<std::function<void()>>(std::move(done));
  auto finish = [once] {
    if (*once) std::exchange(*once, {})();
  };
  if (state_->sessions.empty()) return finish();
  state_->on_drained = finish;
  auto timer = std::make_shared<asio::steady_timer>(state_->io, grace);
  timer->async_wait([timer, finish](beast::error_code) { finish(); });
  // Closing removes sessions from the set as they finish, so close a copy.
  for (Peer* session : std::vector(state_->sessions.begin(), state_->sessions.end())) {
    session->close(kCloseGoingAway, "relay shutting down");
  }
}

}  // namespace keylink::relay
