// The Keystore contract (keystore/keystore_contract.h) over the two transports of a keystore elsewhere:
// a local Unix socket (KeystoreSocketServer and SocketKeystoreTransport) and a WalletConnect session
// through the real relay on 127.0.0.1 (SessionKeystoreTransport, the wallet's SessionNode). On both, the
// wallet side is the real WalletKeystore (Gate: approvals, app signatures, counters, audit log; and
// KeystoreService) in front of the party's LocalKeystore, on a thread of its own.
#include <utility>  // before Boost.Asio (Boost 1.74, g++ 12, C++20)

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <future>
#include <thread>

#include "keylink/base/encoding.h"
#include "keylink/keystore/grant_policy.h"
#include "keylink/runtime/keystore_remote.h"
#include "keylink/runtime/keystore_socket_server.h"
#include "keylink/runtime/session_keystore_transport.h"
#include "keylink/runtime/session_node.h"
#include "keylink/runtime/socket_keystore_transport.h"
#include "keylink/runtime/wallet_keystore.h"
#include "keystore/keystore_contract.h"
#include "testing/loopback_relay.h"
#include "testing/run_until.h"
#include "testing/temp_dir.h"

namespace keylink::runtime {
namespace {

namespace asio = boost::asio;
using keystore::contract::Backend;
using keystore::contract::KeystoreContract;

const crypto::Argon2Params kFastArgon2{1, std::size_t{8} << 20};

Home open_home(const std::filesystem::path& dir, Rng& rng) {
  return Home::open(dir, SecretBytes(as_bytes("pass")), rng, kFastArgon2).value();
}

// The wallet: its LocalKeystore, a home for its approvals and audit log, and an io_context that a
// thread of its own runs once start() is called.
struct Wallet {
  Wallet(std::unique_ptr<keystore::LocalKeystore> local_in, const std::filesystem::path& dir, const Clock& clock)
      : local(std::move(local_in)), rng(7), home(open_home(dir, rng)),
        keystore(*local, home.db(), home.vault(), rng, clock) {}
  ~Wallet() { stop(); }

  void start() {
    thread = std::thread([this] { io.run(); });
  }
  void stop() {
    if (!thread.joinable()) return;
    asio::post(io, [this] {
      if (server) server->close();
      if (node) node->stop();
      io.stop();  // the relay's listener would keep it running
    });
    thread.join();
  }

  std::unique_ptr<keystore::LocalKeystore> local;
  FixedRng rng;
  Home home;
  WalletKeystore keystore;
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);
  std::unique_ptr<keylink::testing::LoopbackRelay> relay;
  std::unique_ptr<SessionNode> node;
  std::unique_ptr<KeystoreSocketServer> server;
  std::thread thread;
};

// A transport that owns the whole world behind it (the wallet, its thread, the app's home) and hands each
// call to the real transport inside.
struct World : keystore::KeystoreTransport {
  Result<Bytes> call(std::string_view method, ByteView req) override { return inner->call(method, req); }
  std::size_t max_request_bytes() const noexcept override { return inner->max_request_bytes(); }
  ~World() override {
    inner.reset();  // the app side first: its thread and connection end before the wallet's
    wallet.reset();
  }

  keylink::testing::TempDir dir;
  std::unique_ptr<Wallet> wallet;
  std::optional<Home> app;
  FixedRng app_rng{11};
  std::unique_ptr<keystore::KeystoreTransport> inner;
};

std::unique_ptr<identity::Keystore> over_socket(std::unique_ptr<keystore::LocalKeystore> local, const Clock& clock) {
  auto world = std::make_unique<World>();
  world->wallet = std::make_unique<Wallet>(std::move(local), world->dir.path() / "wallet", clock);
  Wallet& wallet = *world->wallet;
  const std::string path = world->dir.file("keystore.sock");
  auto server = KeystoreSocketServer::listen(
      wallet.io, path,
      {.on_hello =
           [&wallet](const SocketPeer& peer, const wire::Json& params) {
             return wallet.keystore.hello(peer, params, [](const auto&, const auto&, const auto&) { return true; });
           },
       .on_request = [&wallet](const std::string& channel, const std::string& method,
                               const wire::Json& params) { return wallet.keystore.answer(channel, method, params); }});
  EXPECT_TRUE(server) << server.error().message;
  wallet.server = std::move(*server);
  wallet.start();
  world->app.emplace(open_home(world->dir.path() / "app", world->app_rng));
  std::vector<std::string> every_method;
  for (const auto& method : keystore::methods()) every_method.emplace_back(method.name);
  auto transport = SocketKeystoreTransport::connect(
      *world->app,
      {.path = path, .app_name = "contract", .app_url = "https://contract.invalid", .methods = every_method});
  EXPECT_TRUE(transport) << transport.error().message;
  world->inner = std::move(*transport);
  return keystore::RemoteKeystore::connect(std::move(world)).value();
}

SessionNodeCallbacks on_events(std::function<void(const session::Action&)> on_event) {
  return {.on_event = std::move(on_event), .on_relay_state = {}, .on_publish_error = {}, .on_store_error = {}};
}

std::unique_ptr<identity::Keystore> over_session(std::unique_ptr<keystore::LocalKeystore> local, const Clock& clock) {
  auto world = std::make_unique<World>();
  world->wallet = std::make_unique<Wallet>(std::move(local), world->dir.path() / "wallet", clock);
  Wallet& wallet = *world->wallet;
  wallet.relay = std::make_unique<keylink::testing::LoopbackRelay>(wallet.io, clock);
  relay::ClientOptions relay_options;
  relay_options.url = wallet.relay->url;
  const auto eth = crypto::EthAddress::parse(wallet.keystore.address()).value();

  // The wallet's node answers proposals (granting the xmtp namespace) and requests, as `wallet serve`.
  session::EngineOptions wallet_options;
  wallet_options.self = {"wallet", "contract wallet", "https://wallet.invalid", {}};
  wallet.node = SessionNode::open(wallet.io, wallet.home, relay_options, wallet_options, wallet.rng, clock,
                           on_events([&wallet, eth](const session::Action& action) {
                             auto& node = wallet.node;
                             if (const auto* proposed = std::get_if<session::ProposalReceived>(&action)) {
                               auto granted = keystore::grant_namespaces(proposed->proposal, eth, wallet.keystore.address());
                               ASSERT_TRUE(granted) << granted.error().message;
                               auto topic = node->step([&](session::Engine& e) {
                                 return e.approve(proposed->proposal.id, *granted);
                               });
                               ASSERT_TRUE(topic);
                               ASSERT_TRUE(wallet.keystore.approve_session(proposed->proposal, *granted, *topic));
                             } else if (const auto* request = std::get_if<session::RequestReceived>(&action)) {
                               auto answer = wallet.keystore.answer(request->topic, request->method, request->params);
                               EXPECT_TRUE(node->step([&](session::Engine& e) {
                                 return answer ? e.respond(request->topic, request->id, *answer)
                                               : e.respond_error(request->topic, request->id, answer.error());
                               }));
                             }
                           }))
             .value();
  wallet.node->start();

  // The app proposes from its transport's relay client, as `keystore connect`, then leaves.
  world->app.emplace(open_home(world->dir.path() / "app", world->app_rng));
  auto setup_home = keystore_link(*world->app, world->app_rng).value();
  const auto app_key = setup_home.key(kAppKeyName, world->app_rng).value();
  std::string topic;
  session::EngineOptions app_options;
  app_options.self = {"contract app", "", "https://contract.invalid", {}};
  {
    auto app_node = SessionNode::open(wallet.io, setup_home, relay_options, app_options, world->app_rng, clock,
                                      on_events([&topic](const session::Action& action) {
                                        if (const auto* s = std::get_if<session::SessionSettled>(&action)) topic = s->session.topic;
                                      }))
                        .value();
    app_node->start();
    session::ProposalNamespaces wanted{{"xmtp", {.chains = {"xmtp:v2"}, .methods = {}, .events = {}}}};
    for (const auto& method : keystore::methods()) wanted["xmtp"].methods.emplace_back(method.name);
    auto connection = app_node->step([&](session::Engine& e) {
      return e.connect(wanted, {},
                       std::map<std::string, std::string>{
                           {std::string(keystore::kAppKeyProperty), to_base64(app_key.public_key())}});
    });
    EXPECT_TRUE(connection);
    EXPECT_TRUE(wallet.node->step([&](session::Engine& e) { return e.pair(connection->uri); }));
    EXPECT_TRUE(keylink::testing::run_until(wallet.io, [&] { return !topic.empty(); })) << "no session settled";
    app_node->stop();
  }
  wallet.io.restart();
  wallet.start();
  auto transport = SessionKeystoreTransport::open(*world->app, {.relay = relay_options, .self = app_options.self,
                                                                .topic = topic, .timeout = std::chrono::seconds(20)},
                                                  clock);
  EXPECT_TRUE(transport) << transport.error().message;
  world->inner = std::move(*transport);
  return keystore::RemoteKeystore::connect(std::move(world)).value();
}

INSTANTIATE_TEST_SUITE_P(Socket, KeystoreContract, ::testing::Values(Backend{"Socket", over_socket}),
                         keystore::contract::backend_name);
INSTANTIATE_TEST_SUITE_P(Session, KeystoreContract, ::testing::Values(Backend{"Session", over_session}),
                         keystore::contract::backend_name);

}  // namespace
}  // namespace keylink::runtime
