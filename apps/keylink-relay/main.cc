// keylink-relay: a WalletConnect-compatible relay node with a durable mailbox. main() wires the parts:
// flags -> limits, the store (journal), the protocol core, the network server, signals and timers.
#include <utility>  // before Boost.Asio (Boost 1.74, g++ 12, C++20)

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <boost/asio.hpp>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>

#include "keylink/relay/forwarder.h"
#include "keylink/relay/journal.h"
#include "keylink/relay/logfmt.h"
#include "keylink/relay/push_webhook.h"
#include "keylink/relay/relay_core.h"
#include "keylink/relay/server.h"
#include "options.h"

namespace asio = boost::asio;
using namespace keylink;

namespace {

constexpr std::chrono::milliseconds kPruneInterval{1000};
constexpr std::size_t kPruneBatch = 20'000;  // messages forgotten per turn of the event loop
constexpr std::chrono::milliseconds kDrainGrace{5000};

// Forgets expired messages every second; a backlog goes in batches, each queued behind the traffic.
void prune_every(asio::steady_timer& timer, relay::RelayCore& core, std::chrono::milliseconds delay) {
  timer.expires_after(delay);
  timer.async_wait([&timer, &core](boost::system::error_code error) {
    if (error) return;
    const bool more = core.prune(kPruneBatch);
    prune_every(timer, core, more ? std::chrono::milliseconds(0) : kPruneInterval);
  });
}

// Logs go to stderr as logfmt lines; stdout carries only the lines scripts wait for.
std::shared_ptr<spdlog::logger> make_log(const std::string& level) {
  auto log = std::make_shared<spdlog::logger>("relay", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  log->set_pattern("ts=%Y-%m-%dT%H:%M:%S.%eZ level=%l %v", spdlog::pattern_time_type::utc);
  log->set_level(spdlog::level::from_str(level));
  return log;
}

int serve(relay::RelayOptions options) {
  options.server.log = make_log(options.log_level);
  asio::io_context io(1);
  SystemClock clock;
  std::unique_ptr<relay::Journal> journal;
  const relay::Poster post = [&io](std::function<void()> f) { asio::post(io, std::move(f)); };
  if (!options.cluster.empty() || (options.store_path && !options.server.bench_forward)) {
    auto opened = options.cluster.empty()
                      ? relay::open_sqlite_journal(*options.store_path, options.durability, post)
                      : relay::open_nats_journal(options.cluster_options, post);
    if (!opened) {
      std::cerr << "keylink-relay: " << opened.error().message << '\n';
      return 1;
    }
    journal = std::move(*opened);
  }
  std::unique_ptr<relay::PushWebhook> push;
  if (!options.push_webhook.empty()) {
    relay::PushWebhookOptions push_options;
    push_options.log = options.server.log;
    auto opened = relay::PushWebhook::open(io, options.push_webhook, push_options);
    if (!opened) {
      std::cerr << "keylink-relay: " << opened.error().message << '\n';
      return 1;
    }
    push = std::move(*opened);
  }
  relay::RelayCore core(options.server.limits, clock, journal.get(), push.get());
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
  std::fflush(stdout);
  const std::string store = !options.cluster.empty() ? "cluster:" + options.cluster_options.node
                            : options.store_path     ? "sqlite:" + *options.store_path
                                                     : "memory";
  if (!options.cluster.empty() && options.store_given) {
    options.server.log->warn("msg=\"--store is unused: a cluster node keeps messages in JetStream\"");
  }
  options.server.log->info("msg=\"listening\" url={} store={} stored_messages={}", *url, relay::logfmt_value(store),
                           core.mailbox().message_count());

  asio::steady_timer prune_timer(io);
  prune_every(prune_timer, core, kPruneInterval);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code, int) {
    options.server.log->info("msg=\"draining\" grace_ms={}", kDrainGrace.count());
    prune_timer.cancel();
    server.drain(kDrainGrace, [&] {
      if (journal) journal->flush();
      io.stop();
    });
  });
  // Connections end themselves on an exception; one from anywhere else is logged, and the relay goes on.
  for (bool stopped = false; !stopped;) {
    try {
      io.run();
      stopped = true;
    } catch (const std::exception& e) {
      options.server.log->error("msg=\"exception in the event loop\" what={}", relay::logfmt_value(e.what()));
    }
  }
  if (journal) journal->flush();
  options.server.log->info("msg=\"stopped\"");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "keylink-relay: a WalletConnect-compatible relay node. It carries encrypted messages between\n"
      "clients over WebSocket + JSON-RPC, keeps each for its ttl for clients that are offline, and\n"
      "serves GET /health and GET /metrics on the same port (all over TLS with --tls-cert/--tls-key).\n"
      "keylink's extensions to irn_publish: \"ephemeral\": true (delivered to live subscribers only,\n"
      "never stored) and \"localOnly\": true (never leaves this node).\n"
      "Alone it keeps messages in SQLite (--store); with --cluster, many nodes share one JetStream\n"
      "stream on NATS and a client may use any of them (see deploy/cluster/README.md)."};
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
