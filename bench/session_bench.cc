// Request round trip dApp -> wallet -> dApp through a running keylink-relay (docs/benchmarks.md,
// "Session"): two parties, each a SessionNode on its own thread and its own home, N sessions between
// them, each session running requests in a closed loop. The wallet answers every wc_sessionRequest at
// once with a fixed result (no signing): this measures the protocol, its storage and the relay, as
// bench/session_rtt.js does for two JS SignClients.
//
//   session_bench --relay ws://127.0.0.1:PORT [--sessions 32] [--seconds 10] [--warmup 2]
// prints one JSON line: {"impl":"keylink","sessions":N,"requests":..,"seconds":..,"rps":..,"p50_us":..,"p99_us":..}
#include <utility>  // before Boost.Asio (Boost 1.74, g++ 12, C++20)

#include <CLI/CLI.hpp>
#include <boost/asio.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <iostream>
#include <map>
#include <thread>

#include <nlohmann/json.hpp>

#include "keylink/runtime/session_node.h"
#include "relay_bench_stats.h"

namespace asio = boost::asio;
using namespace keylink;
using Steady = std::chrono::steady_clock;

namespace {

// Homes made with light Argon2 parameters: the benchmark measures the protocol, not the passphrase.
constexpr crypto::Argon2Params kBenchArgon2{1, 8 << 20};

struct Party {
  asio::io_context io{1};
  SystemRng rng;
  SystemClock clock;
  std::optional<runtime::Home> home;
  std::unique_ptr<runtime::SessionNode> node;
  std::function<void(const session::Action&)> on_event;

  void open(const std::filesystem::path& dir, const std::string& relay_url, const std::string& name) {
    const SecretBytes passphrase(ByteView(reinterpret_cast<const std::uint8_t*>("bench"), 5));
    home.emplace(must(runtime::Home::open(dir, passphrase, rng, kBenchArgon2)));
    relay::ClientOptions relay_options;
    relay_options.url = relay_url;
    session::EngineOptions engine_options;
    engine_options.self = {.name = name, .description = "session_bench", .url = "https://keylink.invalid", .icons = {}};
    runtime::SessionNodeCallbacks callbacks{.on_event =
                                                [this, name](const session::Action& a) {
                                                  if (const auto* d = std::get_if<session::MessageDropped>(&a)) {
                                                    std::cerr << name << " dropped: " << d->reason << '\n';
                                                  }
                                                  on_event(a);
                                                },
                                            .on_relay_state = {},
                                            .on_publish_error = [](const Error& e) { std::cerr << e.message << '\n'; },
                                            .on_store_error = [](const Error& e) { std::cerr << e.message << '\n'; }};
    node = must(runtime::SessionNode::open(io, *home, relay_options, engine_options, rng, clock, callbacks));
  }
  // Runs f on this party's thread and waits for its value.
  template <class F>
  auto call(F f) -> decltype(f()) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    asio::post(io, [&task] { task(); });
    return result.get();
  }

  template <class T>
  static T must(Result<T> result) {
    if (!result) {
      std::cerr << "session_bench: " << result.error().message << '\n';
      std::exit(1);
    }
    return std::move(*result);
  }
};

struct Loop {
  bool running = true;
  bool measuring = false;
  std::map<std::int64_t, Steady::time_point> started;  // request id -> send time
  bench::LatencyHistogram latencies;
  std::uint64_t completed = 0;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Request round trips between a keylink dApp and wallet through keylink-relay"};
  std::string relay_url;
  int sessions = 32;
  double seconds = 10;
  double warmup = 2;
  app.add_option("--relay", relay_url, "The relay, ws://HOST:PORT")->required();
  app.add_option("--sessions", sessions, "Sessions, each with one request in flight")->capture_default_str();
  app.add_option("--seconds", seconds, "Measured time")->capture_default_str();
  app.add_option("--warmup", warmup, "Time before measuring")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  const auto dir = std::filesystem::temp_directory_path() / ("keylink-session-bench-" + std::to_string(getpid()));
  Party dapp, wallet;
  dapp.open(dir / "dapp", relay_url, "bench dApp");
  wallet.open(dir / "wallet", relay_url, "bench wallet");

  const std::string account = "eip155:1:0x2c7536E3605D9C16a7a3D7b1898e529396a65c23";
  wallet.on_event = [&](const session::Action& action) {
    if (const auto* proposal = std::get_if<session::ProposalReceived>(&action)) {
      session::SessionNamespaces granted{
          {"eip155", {.chains = {"eip155:1"}, .accounts = {account}, .methods = {"personal_sign"}, .events = {}}}};
      (void)wallet.node->step([&](session::Engine& e) { return e.approve(proposal->proposal.id, granted); });
    } else if (const auto* request = std::get_if<session::RequestReceived>(&action)) {
      (void)wallet.node->step([&](session::Engine& e) { return e.respond(request->topic, request->id, "0x00"); });
    }
  };

  Loop loop;
  std::promise<std::string> settled;
  auto send = [&](const std::string& topic) {
    auto id = dapp.node->step([&](session::Engine& e) {
      return e.request(topic, "eip155:1", "personal_sign", wire::Json::array({"0x00", account}));
    });
    if (id) loop.started[*id] = Steady::now();
  };
  std::map<std::int64_t, std::string> topic_of;
  dapp.on_event = [&](const session::Action& action) {
    if (const auto* s = std::get_if<session::SessionSettled>(&action)) {
      settled.set_value(s->session.topic);
    } else if (const auto* response = std::get_if<session::ResponseReceived>(&action)) {
      auto found = loop.started.find(response->id);
      if (found == loop.started.end()) return;
      if (loop.measuring) {
        loop.latencies.record(
            std::chrono::duration_cast<std::chrono::nanoseconds>(Steady::now() - found->second).count());
        ++loop.completed;
      }
      loop.started.erase(found);
      if (loop.running) send(response->topic);
    }
  };

  std::thread dapp_thread([&] {
    dapp.node->start();
    auto guard = asio::make_work_guard(dapp.io);
    dapp.io.run();
  });
  std::thread wallet_thread([&] {
    wallet.node->start();
    auto guard = asio::make_work_guard(wallet.io);
    wallet.io.run();
  });

  std::vector<std::string> topics;
  for (int i = 0; i < sessions; ++i) {
    settled = {};
    auto topic = settled.get_future();
    const auto uri = dapp.call([&] {
      return Party::must(dapp.node->step([](session::Engine& e) {
               return e.connect({}, {{"eip155", {.chains = {"eip155:1"}, .methods = {"personal_sign"}, .events = {}}}});
             }))
          .uri;
    });
    wallet.call([&] { return Party::must(wallet.node->step([&](session::Engine& e) { return e.pair(uri); })); });
    if (topic.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
      std::cerr << "session_bench: session " << i << " did not settle within 30 s\n";
      std::exit(1);
    }
    topics.push_back(topic.get());
  }

  dapp.call([&] {
    for (const auto& topic : topics) send(topic);
    return 0;
  });
  std::this_thread::sleep_for(std::chrono::duration<double>(warmup));
  const auto start = dapp.call([&] {
    loop.measuring = true;
    return Steady::now();
  });
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  const auto [elapsed, completed, p50, p99] = dapp.call([&] {
    loop.running = false;
    loop.measuring = false;
    const double taken = std::chrono::duration<double>(Steady::now() - start).count();
    return std::tuple(taken, loop.completed, loop.latencies.quantile(0.5), loop.latencies.quantile(0.99));
  });

  dapp.call([&] {
    dapp.node->stop();
    dapp.io.stop();
    return 0;
  });
  wallet.call([&] {
    wallet.node->stop();
    wallet.io.stop();
    return 0;
  });
  dapp_thread.join();
  wallet_thread.join();
  std::filesystem::remove_all(dir);

  std::cout << nlohmann::json{{"impl", "keylink"},
                              {"sessions", sessions},
                              {"requests", completed},
                              {"seconds", elapsed},
                              {"rps", static_cast<double>(completed) / elapsed},
                              {"p50_us", static_cast<double>(p50) / 1000.0},
                              {"p99_us", static_cast<double>(p99) / 1000.0}}
                   .dump()
            << std::endl;
  return 0;
}
