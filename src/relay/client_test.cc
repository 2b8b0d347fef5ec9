// The relay client against the real relay (RelayCore + Server) on 127.0.0.1, all on one io_context.
#include "keylink/relay/client.h"

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <filesystem>
#include <map>
#include <optional>

#include "keylink/relay/relay_core.h"
#include "keylink/relay/server.h"
#include "keylink/store/transaction.h"
#include "keylink/wire/jsonrpc.h"
#include "testing/loopback_relay.h"
#include "testing/nats_process.h"
#include "testing/relay_process.h"
#include "testing/run_until.h"
#include "testing/temp_dir.h"

namespace keylink::relay {
namespace {

using keylink::testing::CorePeer;
using keylink::testing::SilentRelay;
using keylink::testing::TempDir;
using State = RelayClient::State;

const std::string kTopic(64, 'a');

// One home: its database, outbox, key and client, and what the client reported.
struct Home {
  Home(const std::string& path, std::uint64_t seed)
      : db(store::Database::open(path).value()),
        outbox(RelayOutbox::open(db).value()),
        rng(seed),
        key(crypto::Ed25519KeyPair::generate(rng)) {}

  void make_client(boost::asio::io_context& io, const std::string& url, const Clock& clock,
                   std::function<void(ClientOptions&)> adjust = {}) {
    ClientOptions options;
    options.url = url;
    options.backoff_initial = std::chrono::milliseconds(10);
    options.backoff_max = std::chrono::milliseconds(100);
    if (adjust) adjust(options);
    RelayClient::Callbacks callbacks;
    callbacks.on_message = [this](const RelayMessage& m) {
      received.push_back(m.message);
      return true;
    };
    callbacks.on_state = [this](State s, const std::string& why) { states.emplace_back(s, why); };
    callbacks.on_published = [this](std::int64_t id, const Result<void>& r) {
      published.insert_or_assign(id, r ? std::string() : r.error().message);
    };
    client = std::make_unique<RelayClient>(io, options, key, outbox, clock, rng, callbacks);
  }
  std::int64_t add(const std::string& text, std::int64_t ttl = 300) {
    return outbox.add({.topic = kTopic, .message = text, .ttl = ttl, .tag = 1108}).value();
  }
  int count(State state) const {
    return static_cast<int>(std::count_if(states.begin(), states.end(), [&](auto& s) { return s.first == state; }));
  }
  int count(const std::string& message) const {
    return static_cast<int>(std::count(received.begin(), received.end(), message));
  }

  store::Database db;
  RelayOutbox outbox;
  FixedRng rng;
  crypto::Ed25519KeyPair key;
  std::unique_ptr<RelayClient> client;
  std::vector<std::string> received;
  std::vector<std::pair<State, std::string>> states;
  std::map<std::int64_t, std::string> published;  // id -> "" (ok) or the error
};

class RelayClientTest : public ::testing::Test {
 protected:
  RelayClientTest() {
    limits.publishes_per_second = 0;
    core = std::make_unique<RelayCore>(limits, clock, nullptr);
    EXPECT_TRUE(core->load());
    start_relay(0);
  }
  ~RelayClientTest() override {
    homes.clear();  // clients first: they close their sockets
    io.run_for(std::chrono::milliseconds(10));
  }

  void start_relay(std::uint16_t at_port) {
    ServerOptions options;
    options.host = "127.0.0.1";
    options.port = at_port;
    options.limits = limits;
    server = std::make_unique<Server>(io, options, *core, clock);
    auto listening = server->listen();
    ASSERT_TRUE(listening) << listening.error().message;
    url = *listening;
    port = static_cast<std::uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
  }
  void stop_relay() {
    bool drained = false;
    server->drain(std::chrono::seconds(2), [&] { drained = true; });
    ASSERT_TRUE(run_until([&] { return drained; }));
    server.reset();
  }

  Home& home(std::uint64_t seed, const std::string& url_override = "") {
    homes.push_back(std::make_unique<Home>(dir.file("home" + std::to_string(homes.size()) + ".db"), seed));
    homes.back()->make_client(io, url_override.empty() ? url : url_override, clock);
    return *homes.back();
  }

  // Runs the loop until `done`; false when it takes unreasonably long (a hang, not a timing check).
  template <class Done>
  bool run_until(Done done) {
    return keylink::testing::run_until(io, done);
  }
  bool connected(Home& h, int times = 1) {
    return run_until([&] { return h.count(State::kConnected) >= times; });
  }
  // Another node of the relay on its own port. Without --cluster the two share nothing: a test meets its
  // clients on the node they will meet at.
  std::string start_other_relay() {
    other_core = std::make_unique<RelayCore>(limits, clock, nullptr);
    EXPECT_TRUE(other_core->load());
    ServerOptions options;
    options.host = "127.0.0.1";
    options.limits = limits;
    other_server = std::make_unique<Server>(io, options, *other_core, clock);
    auto listening = other_server->listen();
    EXPECT_TRUE(listening) << listening.error().message;
    return listening.value_or("");
  }
  bool on_node(const RelayCore& node, Home& h) {
    return node.mailbox().known_client(h.client->client_id()).has_value();
  }

  std::size_t pending_for(Home& h) {
    const auto client = core->mailbox().known_client(h.client->client_id()).value();
    return core->mailbox().pending(client, kTopic, clock.unix_millis(), 100).messages.size();
  }

  TempDir dir;
  boost::asio::io_context io;
  SystemClock clock;
  Limits limits;
  std::unique_ptr<RelayCore> core;
  std::unique_ptr<Server> server;
  std::string url;
  std::uint16_t port = 0;
  std::vector<std::unique_ptr<Home>> homes;
  std::unique_ptr<RelayCore> other_core;
  std::unique_ptr<Server> other_server;
};

TEST_F(RelayClientTest, PublishFromOneClientReachesAnotherOnceAcked) {
  Home& alice = home(1);
  Home& bob = home(2);
  bob.client->subscribe(kTopic);
  alice.client->start();
  bob.client->start();
  ASSERT_TRUE(connected(alice));
  ASSERT_TRUE(connected(bob));
  EXPECT_EQ(alice.states.front(), std::make_pair(State::kConnected, std::string()));

  const std::int64_t id = alice.add("hello");
  alice.client->flush_outbox();
  ASSERT_TRUE(run_until([&] { return bob.received.size() == 1 && alice.published.contains(id); }));
  EXPECT_EQ(bob.received, std::vector<std::string>{"hello"});
  EXPECT_EQ(alice.published[id], "");
  EXPECT_EQ(alice.outbox.count().value(), 0);

  // Bob's ack reaches the relay: the message leaves his mailbox, and a new connection does not get it.
  ASSERT_TRUE(run_until([&] { return pending_for(bob) == 0; }));
  bob.client = nullptr;
  bob.make_client(io, url, clock);
  bob.client->subscribe(kTopic);
  bob.client->start();
  ASSERT_TRUE(connected(bob, 2));
  alice.add("second");
  alice.client->flush_outbox();
  ASSERT_TRUE(run_until([&] { return bob.received.size() == 2; }));
  EXPECT_EQ(bob.received, (std::vector<std::string>{"hello", "second"}));

  // stop(): kStopped, then silence.
  bob.client->stop();
  EXPECT_EQ(bob.states.back().first, State::kStopped);
  EXPECT_EQ(bob.client->state(), State::kStopped);
  const std::size_t reported = bob.states.size();
  alice.add("after stop");
  alice.client->flush_outbox();
  ASSERT_TRUE(run_until([&] { return alice.outbox.count().value() == 0; }));
  EXPECT_EQ(bob.states.size(), reported);
  EXPECT_EQ(bob.received.size(), 2u);
}

TEST_F(RelayClientTest, DuplicatePublishIsDeliveredOnce) {
  Home& alice = home(1);
  Home& bob = home(2);
  bob.client->subscribe(kTopic);
  alice.client->start();
  bob.client->start();
  ASSERT_TRUE(connected(alice) && connected(bob));
  alice.add("same");
  alice.add("same");
  alice.add("last");
  alice.client->flush_outbox();
  ASSERT_TRUE(run_until([&] { return bob.count("last") == 1 && alice.published.size() == 3; }));
  EXPECT_EQ(bob.count("same"), 1);
}

TEST_F(RelayClientTest, OutboxRowsSurviveTheProcess) {
  Home& bob = home(2);
  bob.client->subscribe(kTopic);
  bob.client->start();
  ASSERT_TRUE(connected(bob));

  const std::string path = dir.file("alice.db");
  std::int64_t first = 0, second = 0;
  {
    Home alice(path, 1);
    auto tx = store::Transaction::begin(alice.db).value();
    first = alice.add("one");
    second = alice.add("two");
    ASSERT_TRUE(tx.commit());
    alice.make_client(io, url, clock);
    alice.client->start();
    alice.client = nullptr;  // the process ends before it connected
    EXPECT_TRUE(alice.states.empty());
  }
  Home alice(path, 1);
  alice.make_client(io, url, clock);
  alice.client->start();
  ASSERT_TRUE(run_until([&] { return alice.published.size() == 2 && bob.received.size() == 2; }));
  EXPECT_EQ(alice.published[first], "");
  EXPECT_EQ(alice.published[second], "");
  EXPECT_EQ(bob.received, (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(alice.outbox.count().value(), 0);
  alice.client = nullptr;
}

TEST_F(RelayClientTest, RelayRefusalReportsAnErrorAndDropsTheRow) {
  Home& alice = home(1);
  alice.client->start();
  ASSERT_TRUE(connected(alice));
  const std::int64_t id = alice.add("too short", /*ttl=*/1);
  alice.client->flush_outbox();
  ASSERT_TRUE(run_until([&] { return alice.published.contains(id); }));
  EXPECT_NE(alice.published[id].find("relay refused the publish: "), std::string::npos) << alice.published[id];
  EXPECT_NE(alice.published[id].find("ttl"), std::string::npos) << alice.published[id];
  EXPECT_EQ(alice.outbox.count().value(), 0);
  EXPECT_EQ(alice.client->state(), State::kConnected);
}

TEST_F(RelayClientTest, ReconnectsAndCatchesUpWhenTheRelayComesBack) {
  Home& alice = home(1);
  Home& bob = home(2);
  bob.client->subscribe(kTopic);
  alice.client->start();
  bob.client->start();
  ASSERT_TRUE(connected(alice) && connected(bob));

  stop_relay();
  // Several attempts while the port is closed, each reported.
  ASSERT_TRUE(run_until([&] { return bob.count(State::kConnecting) >= 3; }));
  EXPECT_NE(bob.states[1].second.find("close 1001"), std::string::npos) << bob.states[1].second;
  EXPECT_NE(bob.states[2].second.find("cannot connect"), std::string::npos) << bob.states[2].second;
  EXPECT_EQ(bob.client->state(), State::kConnecting);

  // While the relay's network side is gone, a message goes into its mailbox, and Alice queues one.
  CorePeer carol("did:key:carol");
  core->attach(carol);
  core->on_frame(carol,
                 wire::Json{{"id", 1},
                            {"jsonrpc", "2.0"},
                            {"method", "irn_publish"},
                            {"params", {{"topic", kTopic}, {"message", "from the mailbox"}, {"ttl", 300}, {"tag", 1}}}}
                     .dump());
  core->detach(carol);
  const std::int64_t queued = alice.add("queued while away");
  alice.client->flush_outbox();

  start_relay(port);
  ASSERT_TRUE(connected(bob, 2));
  ASSERT_TRUE(run_until([&] { return bob.received.size() == 2 && alice.published.contains(queued); }));
  EXPECT_EQ(bob.count("from the mailbox"), 1);
  EXPECT_EQ(bob.count("queued while away"), 1);
  EXPECT_EQ(alice.published[queued], "");
}

TEST_F(RelayClientTest, MovesToTheNextNodeWhenOneGoesAwayAndBack) {
  const std::string other = start_other_relay();
  Home& bob = home(2, url + " , " + other);
  bob.client->subscribe(kTopic);
  bob.client->start();
  ASSERT_TRUE(connected(bob));
  EXPECT_TRUE(on_node(*core, bob));

  stop_relay();
  ASSERT_TRUE(connected(bob, 2));
  EXPECT_TRUE(on_node(*other_core, bob));
  EXPECT_EQ(bob.count(State::kConnecting), 1);  // straight to the other node, no attempt at the gone one
  Home& alice = home(1, other);
  alice.client->start();
  ASSERT_TRUE(connected(alice));
  const std::int64_t id = alice.add("through the other node");
  alice.client->flush_outbox();
  ASSERT_TRUE(run_until([&] { return bob.received.size() == 1 && alice.published.contains(id); }));
  EXPECT_EQ(bob.count("through the other node"), 1);

  // The other node goes too, and the first comes back: Bob tries each in turn until one answers.
  bool drained = false;
  other_server->drain(std::chrono::seconds(2), [&] { drained = true; });
  ASSERT_TRUE(run_until([&] { return drained; }));
  other_server.reset();
  ASSERT_TRUE(run_until([&] { return bob.count(State::kConnecting) >= 4; }));
  start_relay(port);
  ASSERT_TRUE(connected(bob, 3));
  EXPECT_TRUE(on_node(*core, bob));
}

// The nodes of a real cluster (keylink-relay processes on a nats-server): Alice lists both; her node
// dies with kill -9 while she publishes, she goes on through the other, sends again what the dead node
// had not acknowledged, and Bob, on the other node, gets each message once.
TEST_F(RelayClientTest, OnAClusterAClientWhoseNodeDiesGoesOnThroughAnotherAndNothingArrivesTwice) {
  keylink::testing::NatsProcess nats(dir.path().string());
  std::vector<std::unique_ptr<keylink::testing::RelayProcess>> nodes;
  for (const std::string name : {"one", "two"}) {
    std::filesystem::create_directory(dir.file(name));
    nodes.push_back(std::make_unique<keylink::testing::RelayProcess>(
        KEYLINK_RELAY_PROGRAM,
        std::vector<std::string>{"--cluster", nats.url(), "--node", name, "--cluster-replicas", "1",
                                 "--publish-rate", "0"},
        dir.file(name)));
  }
  Home& bob = home(2, nodes[1]->url());
  bob.client->subscribe(kTopic);
  bob.client->start();
  ASSERT_TRUE(connected(bob));
  Home& alice = home(1, nodes[0]->url() + "," + nodes[1]->url());
  alice.client->start();
  ASSERT_TRUE(connected(alice));
  constexpr int kEach = 50;
  for (int i = 0; i < kEach; ++i) alice.add("before " + std::to_string(i));
  alice.client->flush_outbox();
  ASSERT_TRUE(run_until([&] { return alice.published.size() >= kEach / 2; }));
  nodes[0]->crash();
  ASSERT_LT(alice.published.size(), static_cast<std::size_t>(kEach)) << "nothing was left for the other node";
  for (int i = 0; i < kEach; ++i) alice.add("after " + std::to_string(i));
  alice.client->flush_outbox();
  ASSERT_TRUE(run_until([&] { return alice.published.size() == 2 * kEach && bob.received.size() >= 2 * kEach; }))
      << alice.published.size() << " acknowledged, " << bob.received.size() << " received\n"
      << nodes[1]->log();
  for (const auto& [id, error] : alice.published) EXPECT_EQ(error, "") << id;
  for (const std::string when : {"before ", "after "}) {
    for (int i = 0; i < kEach; ++i) EXPECT_EQ(bob.count(when + std::to_string(i)), 1) << when << i;
  }
  EXPECT_GE(alice.count(State::kConnected), 2);  // it moved
  EXPECT_EQ(alice.outbox.count().value(), 0);
}

TEST_F(RelayClientTest, APublishANodeDidNotAcknowledgeGoesThroughTheNext) {
  SilentRelay silent(io);
  Home& bob = home(2);
  bob.client->subscribe(kTopic);
  bob.client->start();
  ASSERT_TRUE(connected(bob));
  homes.push_back(std::make_unique<Home>(dir.file("alice.db"), 1));
  Home& alice = *homes.back();
  alice.make_client(io, silent.url() + "," + url, clock,
                    [](ClientOptions& options) { options.request_timeout = std::chrono::milliseconds(50); });
  const std::int64_t id = alice.add("past the silent node");
  alice.client->start();
  ASSERT_TRUE(run_until([&] { return alice.published.contains(id) && bob.received.size() == 1; }));
  EXPECT_EQ(alice.published[id], "");
  EXPECT_EQ(bob.count("past the silent node"), 1);
  ASSERT_GE(alice.states.size(), 3u);
  EXPECT_NE(alice.states[1].second.find("relay did not answer irn_publish within 50 ms"), std::string::npos)
      << alice.states[1].second;
  EXPECT_EQ(alice.outbox.count().value(), 0);
}

TEST_F(RelayClientTest, RefusedAuthIsReported) {
  // Without topics the client sends nothing, so it reads the relay's close frame whole. (It reports
  // kConnected after the handshake, there being no subscription to wait for.)
  Home& mallory = home(3, url + "/not-this-relay");  // the JWT's aud names another URL
  mallory.client->start();
  auto refused = [&] {
    return std::find_if(mallory.states.begin(), mallory.states.end(), [](auto& s) {
      return s.first == State::kConnecting && s.second.find("close 3000") != std::string::npos;
    });
  };
  ASSERT_TRUE(run_until([&] { return refused() != mallory.states.end(); }));
  EXPECT_NE(refused()->second.find("aud"), std::string::npos) << refused()->second;
  mallory.client->stop();

  // With topics, the subscriptions are never acknowledged: never connected, trying again.
  Home& eve = home(4, url + "/not-this-relay");
  eve.client->subscribe(kTopic);
  eve.client->start();
  ASSERT_TRUE(run_until([&] { return eve.count(State::kConnecting) >= 3; }));
  EXPECT_EQ(eve.count(State::kConnected), 0);
}

TEST_F(RelayClientTest, UnansweredPublishIsRetriedThenReportedAndKept) {
  SilentRelay silent(io);
  homes.push_back(std::make_unique<Home>(dir.file("alice.db"), 1));
  Home& alice = *homes.back();
  alice.make_client(io, silent.url(), clock, [](ClientOptions& options) {
    options.request_timeout = std::chrono::milliseconds(50);
    options.max_publish_attempts = 2;
  });
  const std::int64_t id = alice.add("into the void");
  alice.client->start();
  ASSERT_TRUE(run_until([&] { return alice.published.contains(id); }));
  EXPECT_EQ(alice.published[id], "relay did not acknowledge after 2 attempts");
  EXPECT_EQ(alice.count(State::kConnected), 2);
  EXPECT_NE(alice.states[1].second.find("relay did not answer irn_publish within 50 ms"), std::string::npos)
      << alice.states[1].second;
  EXPECT_EQ(alice.outbox.count().value(), 1);  // kept for the next connection
  alice.client = nullptr;
}

TEST_F(RelayClientTest, BadUrlStopsWithTheReason) {
  Home& alice = home(1, "https://relay.example");
  alice.client->start();
  ASSERT_EQ(alice.states.size(), 1u);
  EXPECT_EQ(alice.states.front().first, State::kStopped);
  EXPECT_NE(alice.states.front().second.find("must start with ws:// or wss://"), std::string::npos);
}

TEST_F(RelayClientTest, DestroyedWhileOperationsArePending) {
  for (int steps = 0; steps < 6; ++steps) {
    Home& alice = home(static_cast<std::uint64_t>(10 + steps));
    alice.client->subscribe(kTopic);
    alice.client->start();
    for (int i = 0; i < steps; ++i) io.run_one_for(std::chrono::milliseconds(20));
    alice.client = nullptr;
  }
  io.run_for(std::chrono::milliseconds(50));
  for (auto& h : homes) EXPECT_EQ(h->count(State::kStopped), 0);
}

}  // namespace
}  // namespace keylink::relay
