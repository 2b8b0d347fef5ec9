// relay_bench: the load generator of docs/benchmarks.md, "Relay". It drives keylink-relay, its
// zero-work forwarder (--bench-forward), nats-server's WebSocket listener or bench/node_ws_relay.js with
// 256-byte messages, four frames per message (publish, result, delivery, ack), and prints one line per
// run: messages/s, latency percentiles, and the CPU of the server and of itself.
//
//   relay_bench --target keylink --url ws://127.0.0.1:8787 --server-pid PID                  closed loop
//   relay_bench ... --rate 500000                                       open loop: latency at that load
//   relay_bench ... --fanout 1000                                       1 publisher, 1000 subscribers
//   relay_bench ... --idle 10000 --source-ips 127.0.0.2-127.0.0.11      memory per idle connection
//   relay_bench ... --sub-url ws://127.0.0.1:8788 --server-pid PID2     subscribers on another relay node
//
// Loopback only: it refuses any server or source address outside 127.0.0.0/8. Every run is bounded by
// --seconds or --messages (and --timeout) and stops by itself.
#include <utility>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <sys/resource.h>
#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <numeric>

#include "keylink/base/encoding.h"
#include "keylink/base/rng.h"
#include "keylink/crypto/ed25519.h"
#include "keylink/crypto/jwt.h"
#include "relay_bench_clients.h"
#include "relay_bench_stats.h"

namespace keylink::bench {
namespace {

using Clock = std::chrono::steady_clock;
using Seconds = std::chrono::duration<double>;

struct Options {
  std::string target_name;
  std::string url;
  std::string sub_url;  // where subscribers connect; --url when empty
  std::string aud;
  std::size_t publishers = 1;
  std::size_t subscribers = 1;
  std::size_t in_flight = 1000;
  double rate = 0;
  std::uint64_t messages = 0;
  double seconds = 5;
  double warmup = -1;  // default: 1 s with --seconds, none with --messages
  std::size_t fanout = 0;
  std::size_t idle = 0;
  std::string source_ips;
  std::vector<pid_t> server_pids;  // CPU of each and their sum; memory of the first
  std::size_t message_size = 256;
  double tick_us = 20;
  double timeout = 120;
  double drain_timeout = 10;
  std::size_t connect_parallel = 256;
  bool json = false;
};

struct Endpoint {
  tcp::endpoint address;
  std::string host;    // HOST:PORT, for the Host header
  std::string origin;  // ws://HOST:PORT, the default JWT audience
};

Clock::time_point from_now(double seconds) {
  return Clock::now() + std::chrono::duration_cast<Clock::duration>(Seconds(seconds));
}

std::string format_cores(double cores) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", cores);
  return text;
}

[[noreturn]] void die(const std::string& why) {
  std::cerr << "relay_bench: " << why << "\n";
  std::exit(2);
}

asio::ip::address loopback_address(const std::string& text) {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(text == "localhost" ? "127.0.0.1" : text, ec);
  if (ec) die("not an IP address: " + text);
  if (!address.is_loopback()) die(text + " is not a loopback address: relay_bench only runs on 127.0.0.0/8 and ::1");
  return address;
}

Endpoint parse_url(std::string url) {
  if (!url.starts_with("ws://")) die("--url must be ws://HOST:PORT");
  std::string authority = url.substr(5);
  authority = authority.substr(0, authority.find('/'));
  const auto colon = authority.rfind(':');
  if (colon == std::string::npos) die("--url needs a port: ws://HOST:PORT");
  const int port = std::stoi(authority.substr(colon + 1));
  std::string host = authority.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  return {tcp::endpoint(loopback_address(host), static_cast<unsigned short>(port)), authority, "ws://" + authority};
}

// "127.0.0.2-127.0.0.11", "127.0.0.2,127.0.0.3" or one address.
std::vector<asio::ip::address> parse_sources(const std::string& text) {
  std::vector<asio::ip::address> out;
  if (text.empty()) return out;
  if (const auto dash = text.find('-'); dash != std::string::npos) {
    const auto first = loopback_address(text.substr(0, dash)).to_v4().to_uint();
    const auto last = loopback_address(text.substr(dash + 1)).to_v4().to_uint();
    if (last < first || last - first > 1000) die("--source-ips: a range of at most 1000 addresses, low-high");
    for (auto a = first; a <= last; ++a) out.emplace_back(asio::ip::address_v4(a));
    return out;
  }
  for (std::size_t begin = 0; begin <= text.size();) {
    const auto comma = std::min(text.find(',', begin), text.size());
    out.push_back(loopback_address(text.substr(begin, comma - begin)));
    begin = comma + 1;
  }
  return out;
}

Target parse_target(const std::string& name) {
  if (name == "keylink") return Target::kKeylink;
  if (name == "forward") return Target::kForward;
  if (name == "nats") return Target::kNats;
  return Target::kNode;
}

void raise_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// The connections of one run and the loop that drives them.
class Bench {
 public:
  explicit Bench(const Options& options)
      : options_(options),
        endpoint_(parse_url(options.url)),
        sub_endpoint_(parse_url(options.sub_url.empty() ? options.url : options.sub_url)),
        sources_(parse_sources(options.source_ips)),
        run_(parse_target(options.target_name), options.message_size) {
    for (const pid_t pid : options_.server_pids) {
      if (pid <= 0) continue;  // as if not given
      server_pids_.push_back(pid);
      server_names_.push_back(process_name(pid));
    }
    run_.in_flight = options_.in_flight;
    run_.tick = std::chrono::nanoseconds(static_cast<std::int64_t>(options_.tick_us * 1000));
    if (options_.messages > 0) run_.messages_left = options_.messages;
  }

  int run() {
    if (options_.idle > 0) return run_idle();
    return run_traffic();
  }

 private:
  std::string random_hex(std::size_t bytes) {
    Bytes data(bytes);
    rng_.fill(data);
    return to_hex(data);
  }

  // Publishers connect to --url, subscribers to --sub-url when given.
  const Endpoint& endpoint_of(bool publisher) const { return publisher ? endpoint_ : sub_endpoint_; }

  // The URL path and query of one connection: the relay-auth JWT (one key per connection, its audience
  // the server that connection goes to), and for the forwarder the role and group.
  std::string target_of(bool publisher, const std::string& group) {
    if (run_.target == Target::kNats) return "/";
    const auto key = crypto::Ed25519KeyPair::generate(rng_);
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const auto iat = std::chrono::duration_cast<std::chrono::seconds>(now).count();
    const std::string aud = options_.aud.empty() ? endpoint_of(publisher).origin : options_.aud;
    const std::string jwt = crypto::sign_relay_auth_jwt(key, random_hex(32), aud, iat, 86400);
    if (run_.target != Target::kForward) return "/?auth=" + jwt;
    return std::string("/?role=") + (publisher ? "pub" : "sub") + "&group=" + group + "&auth=" + jwt;
  }

  void build(std::size_t publishers, std::size_t subscribers) {
    for (std::size_t i = 0; i < publishers; ++i) {
      auto publisher = std::make_unique<Publisher>(io_, run_, random_hex(32));
      publishers_.push_back(publisher.get());
      plans_.push_back({publisher.get(), true, "g" + std::to_string(i)});
      clients_.push_back(std::move(publisher));
    }
    for (std::size_t j = 0; j < subscribers; ++j) {
      Publisher* publisher = publishers ? publishers_[j % publishers] : nullptr;
      const std::string topic = publisher ? publisher->topic() : random_hex(32);
      auto subscriber = std::make_unique<Subscriber>(io_, run_, topic, publisher);
      plans_.push_back(
          {subscriber.get(), false, publisher ? "g" + std::to_string(j % publishers) : "idle" + std::to_string(j)});
      clients_.push_back(std::move(subscriber));
    }
  }

  // Runs the loop until `done` or `deadline`, or a connection fails; true if `done`.
  template <typename Done>
  bool run_until(Done done, Clock::time_point deadline) {
    while (!done()) {
      if (run_.failed > 0 || Clock::now() >= deadline) return done();
      io_.run_for(std::chrono::milliseconds(5));
    }
    return true;
  }

  // Opens every connection, at most --connect-parallel at a time, and waits until each is ready (its
  // subscription answered).
  bool connect_all() {
    const auto deadline = from_now(options_.timeout);
    std::size_t opened = 0;
    const bool ok = run_until(
        [&] {
          while (opened < plans_.size() && opened - run_.ready < options_.connect_parallel) {
            const Plan& plan = plans_[opened];
            std::optional<asio::ip::address> source;
            if (!sources_.empty()) source = sources_[opened % sources_.size()];
            const Endpoint& server = endpoint_of(plan.publisher);
            plan.client->open(server.address, source, server.host, target_of(plan.publisher, plan.group));
            ++opened;
          }
          return run_.ready == plans_.size();
        },
        deadline);
    if (!ok) {
      std::cerr << "relay_bench: " << run_.ready << " of " << plans_.size() << " connections ready; "
                << (run_.failed ? "first failure: " + run_.first_failure : "timed out") << "\n";
      if (run_.errors) std::cerr << "relay_bench: first error: " << run_.first_error << "\n";
    }
    return ok;
  }

  void close_all() {
    for (auto& client : clients_) client->close();
    run_until([&] { return std::none_of(clients_.begin(), clients_.end(), [](auto& c) { return c->is_open(); }); },
              Clock::now() + std::chrono::seconds(2));
    for (auto& client : clients_) client->force_close();
    work_.reset();
    io_.run_for(std::chrono::seconds(2));
  }

  struct Snapshot {
    CpuSample cpu;
    std::uint64_t published = 0, results = 0, deliveries = 0;
    std::uint64_t frames_in = 0, frames_out = 0;  // WebSocket frames, all clients
  };
  Snapshot snapshot() const {
    Snapshot s{sample_cpu(server_pids_), run_.published, run_.results, run_.deliveries};
    for (const auto& client : clients_) s.frames_in += client->frames_in(), s.frames_out += client->frames_out();
    return s;
  }

  bool all_done() const {
    return std::all_of(publishers_.begin(), publishers_.end(), [](const Publisher* p) { return p->done(); });
  }

  int run_traffic() {
    std::size_t publishers = options_.publishers, subscribers = options_.subscribers;
    if (options_.fanout > 0) publishers = 1, subscribers = options_.fanout;
    if (publishers == 0) die("--publishers must be at least 1");
    if (options_.rate > 0) run_.rate_per_publisher = options_.rate / static_cast<double>(publishers);
    build(publishers, subscribers);
    if (!connect_all()) return 1;

    const bool by_count = options_.messages > 0;
    const double warmup = options_.warmup >= 0 ? options_.warmup : by_count ? 0 : 1;
    const auto deadline = from_now(options_.timeout);
    run_.sending = true;
    for (Publisher* p : publishers_) p->start();
    run_until([] { return false; }, std::min(deadline, from_now(warmup)));

    const Snapshot begin = snapshot();
    run_.latency.clear();
    run_.result_latency.clear();
    run_.recording = true;
    if (by_count) {
      run_until([&] { return run_.messages_left == 0u && all_done(); }, deadline);
    } else {
      run_until(
          [] { return false; },
          std::min(deadline, begin.cpu.wall + std::chrono::duration_cast<Clock::duration>(Seconds(options_.seconds))));
    }
    const Snapshot end = snapshot();
    run_.recording = false;
    run_.sending = false;
    const bool drained = run_until([&] { return all_done(); }, std::min(deadline, from_now(options_.drain_timeout)));
    std::uint64_t lost = 0;
    for (const Publisher* p : publishers_) lost += p->missing();
    const std::size_t failed = run_.failed;
    const std::string first_failure = run_.first_failure;
    close_all();
    report_traffic(publishers, subscribers, begin, end, drained ? 0 : lost, failed, first_failure);
    return failed ? 3 : 0;
  }

  void report_traffic(std::size_t publishers, std::size_t subscribers, const Snapshot& begin, const Snapshot& end,
                      std::uint64_t lost, std::size_t failed, const std::string& first_failure) {
    const double seconds = Seconds(end.cpu.wall - begin.cpu.wall).count();
    const double fanout = static_cast<double>(subscribers) / static_cast<double>(publishers);
    const double deliveries = static_cast<double>(end.deliveries - begin.deliveries) / seconds;
    const double results = static_cast<double>(end.results - begin.results) / seconds;
    const double published = static_cast<double>(end.published - begin.published) / seconds;
    const double messages = fanout > 0 ? deliveries / fanout : results;
    const double own_cores = (end.cpu.own_cpu - begin.cpu.own_cpu) / seconds;
    // Per server process, and their sum once every one of them was read at both ends.
    std::vector<std::optional<double>> cores_each(server_pids_.size());
    for (std::size_t i = 0; i < server_pids_.size(); ++i) {
      const std::optional<double> first = begin.cpu.server_cpu[i], last = end.cpu.server_cpu[i];
      if (first && last) cores_each[i] = (*last - *first) / seconds;
    }
    std::optional<double> server_cores;
    if (!cores_each.empty() &&
        std::all_of(cores_each.begin(), cores_each.end(), [](const auto& c) { return c.has_value(); })) {
      server_cores = std::accumulate(cores_each.begin(), cores_each.end(), 0.0,
                                     [](double sum, const std::optional<double>& c) { return sum + *c; });
    }
    const auto us = [&](double q) { return static_cast<double>(run_.latency.quantile(q)) / 1000.0; };
    const std::string mode = options_.rate > 0 ? "open-loop" : "closed-loop";

    nlohmann::json out = {
        {"target", options_.target_name},
        {"mode", mode},
        {"publishers", publishers},
        {"subscribers", subscribers},
        {"message_bytes", options_.message_size},
        {"seconds", seconds},
        {"messages_per_s", messages},
        {"published_per_s", published},
        {"results_per_s", results},
        {"deliveries_per_s", deliveries},
        {"frames_sent_per_s", static_cast<double>(end.frames_out - begin.frames_out) / seconds},
        {"frames_received_per_s", static_cast<double>(end.frames_in - begin.frames_in) / seconds},
        {"latency_samples", run_.latency.count()},
        {"p50_us", us(0.50)},
        {"p99_us", us(0.99)},
        {"p999_us", us(0.999)},
        {"max_us", static_cast<double>(run_.latency.max()) / 1000.0},
        {"result_p50_us", static_cast<double>(run_.result_latency.quantile(0.5)) / 1000.0},
        {"result_p99_us", static_cast<double>(run_.result_latency.quantile(0.99)) / 1000.0},
        {"generator_cores", own_cores},
        {"errors", run_.errors},
        {"lost", lost},
        {"failed_connections", failed},
    };
    if (options_.rate > 0)
      out["offered_per_s"] = options_.rate;
    else
      out["in_flight"] = options_.in_flight;
    if (server_cores) out["server_cores"] = *server_cores;
    if (server_pids_.size() > 1) {
      out["server_processes"] = nlohmann::json::array();
      for (std::size_t i = 0; i < server_pids_.size(); ++i) {
        nlohmann::json process = {{"pid", server_pids_[i]}, {"name", server_names_[i]}, {"cores", nullptr}};
        if (cores_each[i]) process["cores"] = *cores_each[i];
        out["server_processes"].push_back(process);
      }
    }
    if (run_.errors) out["first_error"] = run_.first_error;
    if (failed) out["first_failure"] = first_failure;
    if (options_.json) {
      std::cout << out.dump() << std::endl;
      return;
    }
    const std::string load = options_.rate > 0 ? "offered " + std::to_string(std::llround(options_.rate)) + "/s"
                                               : "in flight " + std::to_string(options_.in_flight);
    std::string server = "?";
    if (server_cores) server = format_cores(*server_cores);
    if (server_pids_.size() > 1) {
      // "1.40 (keylink-relay 0.95 + nats-server 0.45)"
      server += " (";
      for (std::size_t i = 0; i < server_pids_.size(); ++i) {
        server += (i ? " + " : "") + server_names_[i] + " " + (cores_each[i] ? format_cores(*cores_each[i]) : "?");
      }
      server += ")";
    }
    std::printf(
        "%s %s %zu->%zu %s | %.0f msg/s (published %.0f/s, results %.0f/s, deliveries %.0f/s) | "
        "delivery p50 %.0f us, p99 %.0f us, p99.9 %.0f us; result p50 %.0f us, p99 %.0f us | server %s cores, "
        "generator %.2f cores | %.1f s",
        options_.target_name.c_str(), mode.c_str(), publishers, subscribers, load.c_str(), messages, published, results,
        deliveries, us(0.5), us(0.99), us(0.999), static_cast<double>(run_.result_latency.quantile(0.5)) / 1000.0,
        static_cast<double>(run_.result_latency.quantile(0.99)) / 1000.0, server.c_str(), own_cores, seconds);
    std::printf(" | lost %llu, errors %llu, failed connections %zu\n", static_cast<unsigned long long>(lost),
                static_cast<unsigned long long>(run_.errors), failed);
    if (run_.errors) std::printf("  first error: %s\n", run_.first_error.c_str());
    if (failed) std::printf("  first failure: %s\n", first_failure.c_str());
  }

  std::vector<std::optional<std::uint64_t>> rss_each() const {
    std::vector<std::optional<std::uint64_t>> rss;
    for (const pid_t pid : server_pids_) rss.push_back(process_rss_bytes(pid));
    return rss;
  }

  // N subscribed clients that then do nothing: what each costs the server (the first --server-pid; the
  // subscribers connect to --sub-url when given) in resident memory.
  int run_idle() {
    if (server_pids_.empty()) die("--idle needs --server-pid to read the server's memory");
    build(0, options_.idle);
    const auto rss_before = rss_each();
    const auto& before = rss_before.front();
    const auto started = Clock::now();
    if (!connect_all()) return 1;
    const double setup = Seconds(Clock::now() - started).count();
    // Hold them, so that what the server allocates late (timers, buffers) is counted too.
    run_until([] { return false; }, from_now(options_.seconds));
    const auto rss_after = rss_each();
    const auto& after = rss_after.front();
    std::size_t open = 0;
    for (auto& client : clients_) open += client->is_open();
    const std::size_t failed = run_.failed;
    const std::string first_failure = run_.first_failure;
    close_all();
    if (!before || !after) die("the server process is gone");
    const double growth = static_cast<double>(*after) - static_cast<double>(*before);
    const double per_connection = growth / static_cast<double>(options_.idle);
    nlohmann::json out = {
        {"target", options_.target_name},
        {"mode", "idle"},
        {"connections", options_.idle},
        {"open_after_hold", open},
        {"source_addresses", sources_.size()},
        {"rss_before_bytes", *before},
        {"rss_after_bytes", *after},
        {"bytes_per_connection", per_connection},
        {"setup_seconds", setup},
        {"hold_seconds", options_.seconds},
        {"failed_connections", failed},
    };
    if (failed) out["first_failure"] = first_failure;
    if (server_pids_.size() > 1) {
      out["server_processes"] = nlohmann::json::array();
      for (std::size_t i = 0; i < server_pids_.size(); ++i) {
        nlohmann::json process = {{"pid", server_pids_[i]}, {"name", server_names_[i]}};
        process["rss_before_bytes"] = rss_before[i] ? nlohmann::json(*rss_before[i]) : nlohmann::json(nullptr);
        process["rss_after_bytes"] = rss_after[i] ? nlohmann::json(*rss_after[i]) : nlohmann::json(nullptr);
        out["server_processes"].push_back(process);
      }
    }
    if (options_.json) {
      std::cout << out.dump() << std::endl;
    } else {
      std::printf(
          "%s idle %zu clients from %zu addresses | server RSS %.1f -> %.1f MiB: %.2f KiB per connection | "
          "%zu open after %.0f s, setup %.1f s, failed %zu\n",
          options_.target_name.c_str(), options_.idle, std::max<std::size_t>(1, sources_.size()),
          static_cast<double>(*before) / 1048576.0, static_cast<double>(*after) / 1048576.0, per_connection / 1024.0,
          open, options_.seconds, setup, failed);
      if (failed) std::printf("  first failure: %s\n", first_failure.c_str());
    }
    return failed || open != options_.idle ? 3 : 0;
  }

  struct Plan {
    Client* client;
    bool publisher;
    std::string group;  // the forwarder's group
  };

  const Options& options_;
  Endpoint endpoint_;
  Endpoint sub_endpoint_;
  std::vector<asio::ip::address> sources_;
  std::vector<pid_t> server_pids_;
  std::vector<std::string> server_names_;  // their command names, read at the start
  SystemRng rng_;
  asio::io_context io_{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{io_.get_executor()};
  RunState run_;
  std::vector<std::unique_ptr<Client>> clients_;  // after io_: destroyed before it
  std::vector<Publisher*> publishers_;
  std::vector<Plan> plans_;
};

}  // namespace
}  // namespace keylink::bench

int main(int argc, char** argv) {
  using keylink::bench::Options;
  Options o;
  CLI::App app{"relay_bench: a load generator for keylink-relay and the servers it is compared with"};
  app.add_option("--target", o.target_name, "keylink | forward | nats | node")
      ->required()
      ->check(CLI::IsMember({"keylink", "forward", "nats", "node"}));
  app.add_option("--url", o.url, "ws://HOST:PORT of the server (loopback only)")->required();
  app.add_option("--sub-url", o.sub_url,
                 "ws://HOST:PORT subscribers connect to (default --url): publisher and subscribers on two relay nodes");
  app.add_option("--aud", o.aud, "the JWT audience (default ws://HOST:PORT of the URL each connection uses)");
  app.add_option("--publishers", o.publishers, "publisher connections, one topic each")->capture_default_str();
  app.add_option("--subscribers", o.subscribers, "subscriber connections, spread over the topics")
      ->capture_default_str();
  app.add_option("--in-flight", o.in_flight, "closed loop: messages per publisher awaiting result and delivery")
      ->capture_default_str();
  app.add_option("--rate", o.rate, "open loop: messages/s offered in total (latency at that load)");
  app.add_option("--messages", o.messages, "publish this many messages, then stop");
  app.add_option("--seconds", o.seconds, "measure this long (idle: hold the clients this long)")->capture_default_str();
  app.add_option("--warmup", o.warmup, "seconds sent before measuring (default 1 with --seconds)");
  app.add_option("--fanout", o.fanout, "1 publisher to this many subscribers of its topic");
  app.add_option("--idle", o.idle, "this many authenticated, subscribed, idle clients: server memory each");
  app.add_option("--source-ips", o.source_ips, "loopback source addresses, e.g. 127.0.0.2-127.0.0.11");
  app.add_option("--server-pid", o.server_pids,
                 "a server process, for its CPU time and memory; repeatable: CPU of each and their sum, memory "
                 "of the first")
      ->take_all();
  app.add_option("--message-size", o.message_size, "bytes per message")
      ->capture_default_str()
      ->check(CLI::Range(40, 1 << 20));
  app.add_option("--tick-us", o.tick_us, "open loop: the shortest wait between two batches")->capture_default_str();
  app.add_option("--timeout", o.timeout, "seconds: the bound on connecting and on the whole run")
      ->capture_default_str();
  app.add_option("--drain-timeout", o.drain_timeout, "seconds to wait for the last deliveries")->capture_default_str();
  app.add_option("--connect-parallel", o.connect_parallel, "connections being opened at once")->capture_default_str();
  app.add_flag("--json", o.json, "print one JSON object instead of a line of text");
  CLI11_PARSE(app, argc, argv);

  std::signal(SIGPIPE, SIG_IGN);
  keylink::bench::raise_file_limit();
  keylink::bench::Bench bench(o);
  return bench.run();
}
