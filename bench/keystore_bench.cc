// The wallet keystore (docs/benchmarks.md, "Wallet keystore"; issue 17): decryptV2 of 1 KiB messages in
// batches of 100 through the keystore elsewhere beside the LocalKeystore in the same run, and the round
// trip of one remote request (the wallet's approval check, app signature check, audit append, answer).
//
// Three backends, in one process: the wallet's LocalKeystore called directly; a RemoteKeystore over a
// WalletConnect session through a running keylink-relay (the wallet a SessionNode on its own thread,
// the app a SessionKeystoreTransport on its own); and a RemoteKeystore over the wallet's local socket.
// The wallet side is the real WalletKeystore (keystore::Gate, keystore::KeystoreService) over a real
// home (SQLite, vault), with its rate limits lifted (the defaults would cap a remote reader at 5,000
// messages/s: the figure would be the policy's, not the path's). Each remote backend is measured a second
// time as its floor: the wallet answers each request with the answer the gate gave the first time that
// req came, so what is left is the transport (framing, relay, the app's side) without the keystore.
//
//   keystore_bench --relay ws://127.0.0.1:PORT [--relay-pid PID] [--seconds 5] [--round-trips 2000]
//                  [--only local|session|socket]
// prints one JSON line per measurement; --only measures one backend (to profile it alone).
#include <utility>  // before Boost.Asio (Boost 1.74, g++ 12, C++20)

#include <CLI/CLI.hpp>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <thread>

#include <nlohmann/json.hpp>

#include "bench_must.h"
#include "keylink/base/encoding.h"
#include "keylink/identity/eth_account.h"
#include "keylink/identity/xmtp_identity.h"
#include "keylink/keystore/grant_policy.h"
#include "keylink/keystore/local_keystore.h"
#include "keylink/keystore/remote_keystore.h"
#include "keylink/runtime/keystore_remote.h"
#include "keylink/runtime/keystore_socket_server.h"
#include "keylink/runtime/session_keystore_transport.h"
#include "keylink/runtime/session_node.h"
#include "keylink/runtime/socket_keystore_transport.h"
#include "keylink/runtime/wallet_keystore.h"
#include "keylink/wire/xmtp/content_types.h"
#include "keylink/wire/xmtp/message.h"
#include "keylink/wire/xmtp/topics.h"
#include "relay_bench_stats.h"

namespace asio = boost::asio;
using namespace keylink;
using Steady = std::chrono::steady_clock;

namespace {

constexpr crypto::Argon2Params kBenchArgon2{1, 8 << 20};

template <class T>
T must(Result<T> result) {
  return bench::must(std::move(result), "keystore_bench");
}
void must(Result<void> result) { bench::must(std::move(result), "keystore_bench"); }

std::filesystem::path make_temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "keystore-bench-XXXXXX").string();
  if (!mkdtemp(pattern.data())) bench::die("cannot make a temporary directory");
  return pattern;
}
constexpr std::size_t kBatch = 100;
// The wallet's rate limits, lifted: this measures the path (every check still runs), not the cap.
const keystore::RateLimits kUnlimited{1e9, 1e9, 1e12, 1e12, std::chrono::seconds(60)};
constexpr std::size_t kMessageSize = 1024;

runtime::Home open_home(const std::filesystem::path& dir, Rng& rng) {
  return must(runtime::Home::open(dir, SecretBytes(as_bytes("bench")), rng, kBenchArgon2));
}

std::unique_ptr<keystore::LocalKeystore> make_identity(runtime::Home& home, Rng& rng, const Clock& clock,
                                                       std::uint8_t key_byte) {
  auto account = must(identity::EthAccount::import(home.db(), home.vault(), rng, Secret<32>(Bytes(32, key_byte))));
  return must(keystore::LocalKeystore::create(home.db(), home.vault(),
                                              must(identity::XmtpIdentity::create(account, clock, rng)), rng));
}

// A peer's 100 messages of 1 KiB to the wallet on their V2 conversation, as decryptV2 requests.
std::vector<identity::DecryptV2Request> messages(identity::Keystore& peer, identity::Keystore& wallet,
                                                 const Clock& clock) {
  const auto now_ns = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(clock.now().time_since_epoch()).count());
  auto invite = must(peer.create_invite({wallet.public_key_bundle(), "", {}, now_ns}));
  const auto address = must(crypto::EthAddress::parse(wallet.account_address()));
  const identity::SaveInviteRequest save{wire::xmtp::invite_topic(address), now_ns, invite.sealed_invitation};
  const std::string topic = must(std::move(wallet.save_invites({&save, 1}).front())).topic;
  const Bytes content = wire::xmtp::encode(wire::xmtp::encode_text(std::string(kMessageSize, 'x')));
  std::vector<identity::DecryptV2Request> out;
  for (std::size_t i = 0; i < kBatch; ++i) {
    const Bytes header = wire::xmtp::encode(wire::xmtp::MessageHeaderV2{now_ns + i, topic});
    const identity::EncryptV2Request request{content, header, topic};
    auto sealed = must(std::move(peer.encrypt_v2({&request, 1}).front()));
    out.push_back({std::move(sealed.ciphertext), header, topic});
  }
  return out;
}

// Decrypts the batch over and over for `seconds`; one JSON line.
void decrypt_rate(const std::string& backend, identity::Keystore& keystore,
                  const std::vector<identity::DecryptV2Request>& batch, double seconds, pid_t relay_pid) {
  const auto relay_cpu_before = relay_pid ? bench::process_cpu_seconds(relay_pid).value_or(0) : 0.0;
  const double cpu_before = bench::own_cpu_seconds();
  const auto start = Steady::now();
  std::size_t messages = 0;
  while (Steady::now() - start < std::chrono::duration<double>(seconds)) {
    for (auto& result : keystore.decrypt_v2(batch)) must(std::move(result));
    messages += batch.size();
  }
  const double elapsed = std::chrono::duration<double>(Steady::now() - start).count();
  const double cpu = bench::own_cpu_seconds() - cpu_before +
                     (relay_pid ? bench::process_cpu_seconds(relay_pid).value_or(0) - relay_cpu_before : 0.0);
  std::cout << nlohmann::json{{"measure", "decryptV2"},
                              {"backend", backend},
                              {"batch", batch.size()},
                              {"messages", messages},
                              {"msgs_per_s", static_cast<double>(messages) / elapsed},
                              {"cpu_us_per_msg", 1e6 * cpu / static_cast<double>(messages)}}
                   .dump()
            << std::endl;
}

// One request at a time, `count` times: xmtp_getKeystoreStatus, the smallest request that still goes
// through every check of the wallet's gate.
void round_trips(const std::string& backend, keystore::KeystoreTransport& transport, std::size_t count) {
  bench::LatencyHistogram latencies;
  for (std::size_t i = 0; i < count + count / 10; ++i) {
    const auto start = Steady::now();
    must(transport.call("xmtp_getKeystoreStatus", {}));
    if (i >= count / 10) {  // the first tenth warms up
      latencies.record(static_cast<std::uint64_t>(std::chrono::nanoseconds(Steady::now() - start).count()));
    }
  }
  std::cout << nlohmann::json{{"measure", "round_trip"},
                              {"backend", backend},
                              {"requests", latencies.count()},
                              {"p50_us", static_cast<double>(latencies.quantile(0.5)) / 1e3},
                              {"p99_us", static_cast<double>(latencies.quantile(0.99)) / 1e3}}
                   .dump()
            << std::endl;
}

// A transport the benchmark keeps a handle on while RemoteKeystore owns it.
struct Borrowed final : keystore::KeystoreTransport {
  explicit Borrowed(keystore::KeystoreTransport& inner_in) : inner(inner_in) {}
  Result<Bytes> call(std::string_view method, ByteView req) override { return inner.call(method, req); }
  std::size_t max_request_bytes() const noexcept override { return inner.max_request_bytes(); }
  keystore::KeystoreTransport& inner;
};

// The wallet: its home, its keystore served by WalletKeystore, and the loop its thread runs.
struct Wallet {
  Wallet(const std::filesystem::path& dir, const Clock& clock_in)
      : clock(clock_in),
        home(open_home(dir, rng)),
        local(make_identity(home, rng, clock, 1)),
        keystore(*local, home.db(), home.vault(), rng, clock, kUnlimited) {}

  void serve_session(const relay::ClientOptions& relay) {
    session::EngineOptions options;
    options.self = {"bench wallet", "", "https://wallet.invalid", {}};
    const auto eth = must(identity::EthAccount::load(home.db(), home.vault())).address();
    node = must(runtime::SessionNode::open(
        io, home, relay, options, rng, clock,
        {.on_event =
             [this, eth](const session::Action& action) {
               if (const auto* proposed = std::get_if<session::ProposalReceived>(&action)) {
                 auto granted = must(keystore::grant_namespaces(proposed->proposal, eth, keystore.address()));
                 const auto topic =
                     must(node->step([&](session::Engine& e) { return e.approve(proposed->proposal.id, granted); }));
                 must(keystore.approve_session(proposed->proposal, granted, topic));
               } else if (const auto* request = std::get_if<session::RequestReceived>(&action)) {
                 must(node->step([&](session::Engine& e) {  // as `keylink wallet serve`: one transaction
                   auto answer = answer_request(request->topic, request->method, request->params);
                   return answer ? e.respond(request->topic, request->id, *answer)
                                 : e.respond_error(request->topic, request->id, answer.error());
                 }));
               }
             },
         .on_relay_state = {},
         .on_publish_error = {},
         .on_store_error = {}}));
    node->start();
  }

  void serve_socket(const std::string& path) {
    server = must(runtime::KeystoreSocketServer::listen(
        io, path,
        {.on_hello =
             [this](const runtime::SocketPeer& peer, const wire::Json& params) {
               return keystore.hello(peer, params, [](const auto&, const auto&, const auto&) { return true; });
             },
         .on_request = [this](const std::string& channel, const std::string& method,
                              const wire::Json& params) { return answer_request(channel, method, params); }}));
  }

  // The gate and the keystore; or, for the floor, the answer the gate gave the first time this req came:
  // what is left is the transport (framing, relay, the app's side).
  runtime::RpcOutcome answer_request(const std::string& channel, const std::string& method, const wire::Json& params) {
    if (!floor) return keystore.answer(channel, method, params);
    const std::string req = params.value("req", "");
    auto cached = floor_answers.find(req);
    if (cached == floor_answers.end())
      cached = floor_answers.emplace(req, keystore.answer(channel, method, params)).first;
    return cached->second;
  }

  void start() {
    thread = std::thread([this] { io.run(); });
  }
  void stop() {
    asio::post(io, [this] {
      if (node) node->stop();
      if (server) server->close();
      io.stop();
    });
    thread.join();
  }

  const Clock& clock;
  SystemRng rng;
  runtime::Home home;
  std::unique_ptr<keystore::LocalKeystore> local;
  runtime::WalletKeystore keystore;
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);
  std::unique_ptr<runtime::SessionNode> node;
  std::unique_ptr<runtime::KeystoreSocketServer> server;
  std::thread thread;
  std::atomic<bool> floor{false};
  std::map<std::string, runtime::RpcOutcome> floor_answers;  // on the wallet's thread only
};

// The app proposes (as `keylink keystore connect`) until the wallet settles the session; its topic.
std::string connect_app(runtime::Home& app, Rng& rng, Wallet& wallet, const relay::ClientOptions& relay,
                        const Clock& clock) {
  auto setup = must(runtime::keystore_link(app, rng));
  const auto app_key = must(setup.key(runtime::kAppKeyName, rng));
  asio::io_context io{1};
  std::string topic;
  session::EngineOptions options;
  options.self = {"bench app", "", "https://app.invalid", {}};
  auto node = must(runtime::SessionNode::open(io, setup, relay, options, rng, clock,
                                              {.on_event =
                                                   [&topic](const session::Action& action) {
                                                     if (const auto* s = std::get_if<session::SessionSettled>(&action))
                                                       topic = s->session.topic;
                                                   },
                                               .on_relay_state = {},
                                               .on_publish_error = {},
                                               .on_store_error = {}}));
  node->start();
  session::ProposalNamespaces wanted{{"xmtp", {.chains = {"xmtp:v2"}, .methods = {}, .events = {}}}};
  for (const auto& method : keystore::methods()) wanted["xmtp"].methods.emplace_back(method.name);
  const auto connection = must(node->step([&](session::Engine& e) {
    return e.connect(
        wanted, {},
        std::map<std::string, std::string>{{std::string(keystore::kAppKeyProperty), to_base64(app_key.public_key())}});
  }));
  asio::post(wallet.io, [&wallet, uri = connection.uri] {
    must(wallet.node->step([&](session::Engine& e) { return e.pair(uri); }));
  });
  const auto give_up = Steady::now() + std::chrono::seconds(30);
  while (topic.empty() && Steady::now() < give_up) io.run_one_for(std::chrono::milliseconds(50));
  if (topic.empty()) bench::die("the wallet did not settle the app's session within 30 s");
  node->stop();
  io.run_for(std::chrono::milliseconds(500));  // its connection closes before the transport's opens
  return topic;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"The wallet keystore: decryptV2 and one request's round trip, local beside remote"};
  std::string relay_url;
  pid_t relay_pid = 0;
  double seconds = 5;
  std::size_t count = 2000;
  app.add_option("--relay", relay_url, "A running keylink-relay")->required();
  app.add_option("--relay-pid", relay_pid, "Its PID, to add its CPU time to the remote figures");
  app.add_option("--seconds", seconds, "Measured time of each decrypt run")->capture_default_str();
  app.add_option("--round-trips", count, "Requests timed for the round trip")->capture_default_str();
  std::string only;
  app.add_option("--only", only, "Measure this backend alone")->check(CLI::IsMember({"local", "session", "socket"}));
  CLI11_PARSE(app, argc, argv);

  const std::filesystem::path dir = make_temp_dir();
  SystemClock clock;
  SystemRng rng;
  relay::ClientOptions relay;
  relay.url = relay_url;
  Wallet wallet(dir / "wallet", clock);
  auto peer_home = open_home(dir / "peer", rng);
  auto peer = make_identity(peer_home, rng, clock, 2);
  const auto batch = messages(*peer, *wallet.local, clock);

  const auto measured = [&only](std::string_view backend) { return only.empty() || only == backend; };
  if (measured("local")) decrypt_rate("local", *wallet.local, batch, seconds, 0);

  wallet.serve_session(relay);
  wallet.serve_socket((dir / "keystore.sock").string());
  wallet.start();
  auto app_home = open_home(dir / "app", rng);
  const std::string topic = connect_app(app_home, rng, wallet, relay, clock);

  auto session = must(runtime::SessionKeystoreTransport::open(
      app_home, {.relay = relay, .self = {"bench app", "", "https://app.invalid", {}}, .topic = topic}, clock));
  auto over_session = must(keystore::RemoteKeystore::connect(std::make_unique<Borrowed>(*session)));
  if (measured("session")) {
    decrypt_rate("session", *over_session, batch, seconds, relay_pid);
    wallet.floor = true;
    decrypt_rate("session floor", *over_session, batch, seconds, relay_pid);
    round_trips("session floor", *session, count);
    wallet.floor = false;
    round_trips("session", *session, count);
  }

  auto socket_home = open_home(dir / "socket-app", rng);
  auto socket = must(runtime::SocketKeystoreTransport::connect(socket_home, {.path = (dir / "keystore.sock").string(),
                                                                             .app_name = "bench",
                                                                             .app_url = "https://app.invalid",
                                                                             .methods = {}}));
  auto over_socket = must(keystore::RemoteKeystore::connect(std::make_unique<Borrowed>(*socket)));
  if (measured("socket")) {
    decrypt_rate("socket", *over_socket, batch, seconds, 0);
    wallet.floor = true;
    decrypt_rate("socket floor", *over_socket, batch, seconds, 0);
    round_trips("socket floor", *socket, count);
    wallet.floor = false;
    round_trips("socket", *socket, count);
  }

  over_session.reset();
  session.reset();
  over_socket.reset();
  socket.reset();
  wallet.stop();
  std::filesystem::remove_all(dir);
  return 0;
}
