// keylink-relay: a WalletConnect-compatible relay node with a durable mailbox. main() wires the parts:
// flags -> limits, the store (journal), the protocol core, the network server, signals and timers.
#include <utility>  // before Boost.Asio (Boost 1.74, g++ 12, C++20)

#include <CLI/CLI.hpp>
#include <boost/asio.hpp>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>

#include "keylink/relay/forwarder.h"
#include "keylink/relay/journal.h"
#include "keylink/relay/relay_core.h"
#include "keylink/relay/server.h"
#include "options.h"

namespace asio = boost::asio;
using namespace keylink;

namespace {

constexpr std::chrono::seconds kPruneInterval{60};
constexpr std::chrono::milliseconds kDrainGrace{5000};

void prune_every(asio::steady_timer& timer, relay::RelayCore& core) {
  timer.expires_after(kPruneInterval);
  timer.async_wait([&timer, &core](boost::system::error_code error) {
    if (error) return;
    core.prune();
    prune_every(timer, core);
  });
}

int serve(const relay::RelayOptions& options) {
  asio::io_context io(1);
  SystemClock clock;
  std::unique_ptr<relay::Journal> journal;
  if (options.store_path) {
    auto opened = relay::open_sqlite_journal(*options.store_path, options.durability,
                                             [&io](std::function<void()> f) { asio::post(io, std::move(f)); });
    if (!opened) {
      std::cerr << "keylink-relay: " << opened.error().message << '\n';
      return 1;
    }
    journal = std::move(*opened);
  }
  relay::RelayCore core(options.server.limits, clock, journal.get());
  if (auto loaded = core.load(); !loaded) {
    std::cerr << "keylink-relay: cannot load the store: " << loaded.error().message << '\n';
    return 1;
  }
  relay::Forwarder forwarder;
  relay::PeerHandler& handler = options.server.bench_forward ? static_cast<relay::PeerHandler&>(forwarder) : core;
  relay::Server server(io, options.server, handler, clock);
  auto url = server.listen();
  if (!url) {
    std::cerr << "keylink-relay: " << url.error().message << '\n';
    return 1;
  }
  std::printf("keylink-relay listening on %s\n", url->c_str());
  std::printf("keylink-relay: %zu stored messages loaded; store %s\n", core.mailbox().message_count(),
              options.store_path ? options.store_path->c_str() : "memory (nothing survives a restart)");
  std::fflush(stdout);

  asio::steady_timer prune_timer(io);
  prune_every(prune_timer, core);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code, int) {
    std::printf("keylink-relay: draining\n");
    std::fflush(stdout);
    prune_timer.cancel();
    server.drain(kDrainGrace, [&] {
      if (journal) journal->flush();
      io.stop();
    });
  });
  io.run();
  if (journal) journal->flush();
  std::printf("keylink-relay: stopped\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "keylink-relay: a WalletConnect-compatible relay node. It carries encrypted messages between\n"
      "clients over WebSocket + JSON-RPC, keeps each for its ttl for clients that are offline, and\n"
      "serves GET /health and GET /metrics on the same port."};
  app.set_version_flag("--version", "keylink-relay " KEYLINK_VERSION);
  relay::RelayOptions options;
  relay::add_relay_options(app, options);
  try {
    app.parse(argc, argv);
    relay::finish_relay_options(options);
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  }
  return serve(options);
}
