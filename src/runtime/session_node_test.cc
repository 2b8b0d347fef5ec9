// A dApp node and a wallet node, each on a real home (SQLite, vault), talking through the real relay
// (RelayCore + Server) on 127.0.0.1, all on one io_context. A party "restarts" by destroying its node and
// home and opening them again from the same directory, as a new process would.
#include "keylink/runtime/session_node.h"

#include <gtest/gtest.h>

#include <optional>

#include "testing/loopback_relay.h"
#include "testing/run_until.h"
#include "testing/temp_dir.h"

namespace keylink::runtime {
namespace {

using keylink::testing::TempDir;
using session::Engine;
using State = relay::RelayClient::State;
using Json = wire::Json;

const crypto::Argon2Params kFastArgon2{1, std::size_t{8} << 20};
const std::string kAccount = "eip155:1:0xab16a96d359ec26a11e2c2b3d8f8b8942d5bfcdb";

session::ProposalNamespaces required() {
  return {{"eip155", {.chains = {"eip155:1"}, .methods = {"personal_sign"}, .events = {"accountsChanged"}}}};
}

session::SessionNamespaces granted() {
  return {
      {"eip155",
       {.chains = {"eip155:1"}, .accounts = {kAccount}, .methods = {"personal_sign"}, .events = {"accountsChanged"}}}};
}

// Rows of `table` in a home's database, read through a connection of its own: what is committed.
std::int64_t committed_rows(const std::filesystem::path& home_dir, const std::string& table) {
  auto db = store::Database::open((home_dir / "keylink.db").string(), {.create = false});
  EXPECT_TRUE(db) << db.error().message;
  if (!db) return -1;
  auto select = db->prepare("SELECT count(*) FROM " + table);
  EXPECT_TRUE(select) << select.error().message;
  if (!select || !select->step()) return -1;
  return select->column_int64(0);
}

// One party: its home directory, what its node reported, and (while it runs) its Home and SessionNode.
struct Party {
  Party(std::filesystem::path home_dir, std::string party_name, std::uint64_t seed)
      : dir(std::move(home_dir)), name(std::move(party_name)), rng(seed) {}

  void open(boost::asio::io_context& io, const std::string& url, const Clock& clock) {
    auto opened = Home::open(dir, SecretBytes(as_bytes("passphrase of " + name)), rng, kFastArgon2);
    ASSERT_TRUE(opened) << opened.error().message;
    home.emplace(std::move(*opened));
    relay::ClientOptions relay_options;
    relay_options.url = url;
    relay_options.backoff_initial = std::chrono::milliseconds(10);
    relay_options.backoff_max = std::chrono::milliseconds(100);
    session::EngineOptions engine_options;
    engine_options.self = {name, name + " for tests", "https://" + name + ".example", {}};
    if (pairing_lifetime) engine_options.pairing_lifetime = *pairing_lifetime;
    SessionNodeCallbacks callbacks{
        .on_event = [this](const session::Action& action) { events.push_back(action); },
        .on_relay_state = [this](State state, const std::string& why) { states.emplace_back(state, why); },
        .on_publish_error = [this](const Error& error) { errors.push_back("publish: " + error.message); },
        .on_store_error = [this](const Error& error) { errors.push_back("store: " + error.message); },
    };
    auto made = SessionNode::open(io, *home, relay_options, engine_options, rng, clock, callbacks);
    ASSERT_TRUE(made) << made.error().message;
    node = std::move(*made);
  }
  // The process ends: the node and the home go, the files stay.
  void close() {
    node.reset();
    home.reset();
  }

  template <class Call>
  auto step(Call&& call) {
    return node->step(std::forward<Call>(call));
  }

  template <class T>
  std::vector<T> all() const {
    std::vector<T> found;
    for (const auto& event : events) {
      if (const auto* one = std::get_if<T>(&event)) found.push_back(*one);
    }
    return found;
  }
  template <class T>
  std::size_t count() const {
    return all<T>().size();
  }
  int count(State state) const {
    return static_cast<int>(std::count_if(states.begin(), states.end(), [&](auto& s) { return s.first == state; }));
  }

  std::filesystem::path dir;
  std::string name;
  FixedRng rng;
  std::optional<std::int64_t> pairing_lifetime;  // the engine's default unless set
  std::optional<Home> home;
  std::unique_ptr<SessionNode> node;
  std::vector<session::Action> events;
  std::vector<std::pair<State, std::string>> states;
  std::vector<std::string> errors;
};

class SessionNodeTest : public ::testing::Test {
 protected:
  ~SessionNodeTest() override {
    EXPECT_EQ(dapp.errors, std::vector<std::string>{});
    EXPECT_EQ(wallet.errors, std::vector<std::string>{});
    dapp.close();
    wallet.close();
    io.run_for(std::chrono::milliseconds(10));
  }

  void open(Party& party) { party.open(io, url, clock); }
  void open_and_start(Party& party) {
    open(party);
    party.node->start();
  }

  // Runs the loop until `done`; false when it takes unreasonably long (a hang, not a timing check).
  template <class Done>
  bool run_until(Done done) {
    return keylink::testing::run_until(io, done);
  }
  // Runs until the relay acknowledged everything `party` has queued.
  bool all_sent(Party& party) {
    bool sent = false;
    party.node->when_sent([&] { sent = true; });
    return run_until([&] { return sent; });
  }

  // dApp connect(), wallet pair(): returns the proposal the wallet received.
  session::Proposal propose() {
    auto connection = dapp.step([](Engine& e) { return e.connect(required()); });
    EXPECT_TRUE(connection) << connection.error().message;
    if (!connection) return {};
    auto paired = wallet.step([&](Engine& e) { return e.pair(connection->uri); });
    EXPECT_TRUE(paired) << paired.error().message;
    EXPECT_TRUE(run_until([&] { return wallet.count<session::ProposalReceived>() > 0; }));
    const auto received = wallet.all<session::ProposalReceived>();
    return received.empty() ? session::Proposal{} : received.back().proposal;
  }
  // The wallet approves; returns the session topic once both sides settled.
  std::string approve(std::int64_t proposal_id) {
    auto topic = wallet.step([&](Engine& e) { return e.approve(proposal_id, granted()); });
    EXPECT_TRUE(topic) << topic.error().message;
    EXPECT_TRUE(run_until(
        [&] { return dapp.count<session::SessionSettled>() > 0 && wallet.count<session::SessionSettled>() > 0; }));
    return topic.value_or("");
  }
  std::string settle() { return approve(propose().id); }

  Result<std::int64_t> request(const std::string& topic, const std::string& text) {
    return dapp.step([&](Engine& e) {
      return e.request(topic, "eip155:1", "personal_sign", Json::array({text, kAccount}));
    });
  }
  // Waits for the wallet to receive request `id`, answers it with `answer`, and waits for the dApp to
  // receive the answer.
  void answer(std::int64_t id, const std::string& answer) {
    auto received = [&] {
      for (const auto& r : wallet.all<session::RequestReceived>()) {
        if (r.id == id) return std::optional(r);
      }
      return std::optional<session::RequestReceived>();
    };
    ASSERT_TRUE(run_until([&] { return received().has_value(); }));
    const session::RequestReceived request = *received();
    EXPECT_EQ(request.method, "personal_sign");
    EXPECT_EQ(request.chain_id, "eip155:1");
    ASSERT_TRUE(wallet.step([&](Engine& e) { return e.respond(request.topic, id, answer); }));
    auto response = [&] {
      for (const auto& r : dapp.all<session::ResponseReceived>()) {
        if (r.id == id) return std::optional(r);
      }
      return std::optional<session::ResponseReceived>();
    };
    ASSERT_TRUE(run_until([&] { return response().has_value(); }));
    const session::ResponseReceived received_response = *response();
    const auto* result = std::get_if<Json>(&received_response.outcome);
    ASSERT_NE(result, nullptr);
    EXPECT_EQ(*result, answer);
  }
  std::size_t requests_received(std::int64_t id) const {
    const auto all = wallet.all<session::RequestReceived>();
    return static_cast<std::size_t>(std::count_if(all.begin(), all.end(), [&](auto& r) { return r.id == id; }));
  }

  TempDir dir;
  boost::asio::io_context io;
  SystemClock clock;
  keylink::testing::LoopbackRelay loopback{io, clock};
  std::unique_ptr<relay::RelayCore>& core = loopback.core;
  const std::string& url = loopback.url;
  Party dapp{dir.path() / "dapp", "dapp", 1};
  Party wallet{dir.path() / "wallet", "wallet", 2};
};

TEST_F(SessionNodeTest, PairRequestPingAndDisconnectThroughTheRelay) {
  open_and_start(dapp);
  open_and_start(wallet);
  const std::string topic = settle();
  ASSERT_EQ(dapp.node->engine().sessions().size(), 1u);
  ASSERT_EQ(wallet.node->engine().sessions().size(), 1u);
  EXPECT_EQ(dapp.node->engine().sessions()[0].topic, topic);
  EXPECT_EQ(dapp.node->engine().sessions()[0].peer.name, "wallet");
  EXPECT_EQ(wallet.node->engine().sessions()[0].peer.name, "dapp");
  EXPECT_EQ(dapp.node->engine().sessions()[0].namespaces.at("eip155").accounts, std::vector<std::string>{kAccount});
  EXPECT_GE(dapp.count(State::kConnected), 1);

  auto id = request(topic, "0x68656c6c6f");
  ASSERT_TRUE(id) << id.error().message;
  answer(*id, "0x5369676e6564");
  EXPECT_EQ(requests_received(*id), 1u);
  EXPECT_TRUE(dapp.node->engine().pending_requests().empty());
  EXPECT_TRUE(wallet.node->engine().pending_requests().empty());

  // Pings, both ways.
  auto ping = dapp.step([&](Engine& e) { return e.ping(topic); });
  ASSERT_TRUE(ping) << ping.error().message;
  ASSERT_TRUE(run_until([&] { return dapp.count<session::PingAnswered>() == 1; }));
  EXPECT_EQ(dapp.all<session::PingAnswered>()[0].id, *ping);
  auto wallet_ping = wallet.step([&](Engine& e) { return e.ping(topic); });
  ASSERT_TRUE(wallet_ping) << wallet_ping.error().message;
  ASSERT_TRUE(run_until([&] { return wallet.count<session::PingAnswered>() == 1; }));
  EXPECT_EQ(wallet.all<session::PingAnswered>()[0].id, *wallet_ping);

  // The wallet disconnects: the dApp hears of it.
  ASSERT_TRUE(wallet.step([&](Engine& e) { return e.disconnect(topic); }));
  ASSERT_TRUE(run_until([&] { return dapp.count<session::SessionDeleted>() == 1; }));
  EXPECT_EQ(dapp.all<session::SessionDeleted>()[0].topic, topic);
  EXPECT_EQ(dapp.all<session::SessionDeleted>()[0].reason.code, session::codes::kUserDisconnected);
  EXPECT_TRUE(dapp.node->engine().sessions().empty());
  EXPECT_TRUE(wallet.node->engine().sessions().empty());

  // stop() reports kStopped; a request on the deleted session is refused and changes nothing.
  dapp.node->stop();
  EXPECT_EQ(dapp.states.back().first, State::kStopped);
  auto refused = request(topic, "0x00");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, session::Errc::kNotFound) << refused.error().message;
  EXPECT_EQ(committed_rows(dapp.dir, "relay_outbox"), 0);
}

// Until the loop has nothing ready to run. A timer whose deadline overflowed into the past fires again
// at every turn, and the loop never gets there.
bool loop_goes_quiet(boost::asio::io_context& io) {
  for (int turn = 0; turn < 100'000; ++turn) {
    if (io.poll_one() == 0) return true;
  }
  return false;
}

TEST_F(SessionNodeTest, AnExpiryPast2262LeavesTheTimerQuiet) {
  // A dApp whose pairing URI and proposal expire in about 2350: in nanoseconds that wraps to a negative
  // TimePoint, a deadline in the past, at every turn.
  dapp.pairing_lifetime = 12'000'000'000;
  open_and_start(dapp);
  open_and_start(wallet);
  auto connection = dapp.step([](Engine& e) { return e.connect(required()); });
  ASSERT_TRUE(connection) << connection.error().message;
  ASSERT_TRUE(all_sent(dapp));
  EXPECT_TRUE(loop_goes_quiet(io));

  // The wallet keeps the pairing and the proposal for its own 5 minutes at most.
  ASSERT_TRUE(wallet.step([&](Engine& e) { return e.pair(connection->uri); }));
  ASSERT_TRUE(run_until([&] { return wallet.count<session::ProposalReceived>() > 0; }));
  EXPECT_LE(wallet.all<session::ProposalReceived>()[0].proposal.expiry, clock.unix_seconds() + 300);
  ASSERT_EQ(wallet.node->engine().pairings().size(), 1u);
  EXPECT_LE(wallet.node->engine().pairings()[0].expiry, clock.unix_seconds() + 300);
  EXPECT_TRUE(loop_goes_quiet(io));
}

TEST_F(SessionNodeTest, AStepCommitsItsStateAndItsMessagesTogether) {
  open_and_start(dapp);
  open_and_start(wallet);
  const std::string topic = settle();
  ASSERT_TRUE(all_sent(dapp));
  ASSERT_EQ(committed_rows(dapp.dir, "relay_outbox"), 0);
  const std::int64_t pending_before = committed_rows(dapp.dir, "session_pending");

  auto id = request(topic, "0x01");
  ASSERT_TRUE(id) << id.error().message;
  // step() returned, the loop has not run: the pending request and its message are both committed.
  EXPECT_EQ(committed_rows(dapp.dir, "session_pending"), pending_before + 1);
  EXPECT_EQ(committed_rows(dapp.dir, "relay_outbox"), 1);

  // Once the relay acked, the message leaves the outbox; the request waits for its answer.
  ASSERT_TRUE(all_sent(dapp));
  EXPECT_EQ(committed_rows(dapp.dir, "relay_outbox"), 0);
  EXPECT_EQ(committed_rows(dapp.dir, "session_pending"), pending_before + 1);
  answer(*id, "0x02");
  EXPECT_EQ(committed_rows(dapp.dir, "session_pending"), pending_before);
}

TEST_F(SessionNodeTest, AMessageAcceptedBeforeTheProcessEndsIsSentByTheNextOne) {
  open_and_start(dapp);
  open_and_start(wallet);
  const std::string topic = settle();
  ASSERT_TRUE(all_sent(dapp));

  // Offline: the relay sees nothing of this request before the process ends.
  dapp.node->stop();
  auto id = request(topic, "0x0a");
  ASSERT_TRUE(id) << id.error().message;
  dapp.close();
  EXPECT_EQ(committed_rows(dapp.dir, "relay_outbox"), 1);
  open_and_start(dapp);
  answer(*id, "0x0b");
  EXPECT_EQ(requests_received(*id), 1u);

  // Online, with the node destroyed as soon as step() returned, the loop never run in between.
  auto second = request(topic, "0x0c");
  ASSERT_TRUE(second) << second.error().message;
  dapp.close();
  open_and_start(dapp);
  answer(*second, "0x0d");
  ASSERT_TRUE(all_sent(dapp));
  EXPECT_EQ(requests_received(*second), 1u);
  EXPECT_EQ(committed_rows(dapp.dir, "relay_outbox"), 0);
}

TEST_F(SessionNodeTest, BothSidesRestartInTheMiddleOfTheHandshake) {
  open_and_start(dapp);
  open_and_start(wallet);
  const session::Proposal proposal = propose();
  ASSERT_NE(proposal.id, 0);

  // The wallet ends after it received the proposal, before the user approved.
  wallet.close();
  open(wallet);
  const auto listed = wallet.node->engine().proposals();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].id, proposal.id);
  EXPECT_EQ(listed[0].proposer.name, "dapp");
  EXPECT_EQ(listed[0].required.at("eip155").methods, std::vector<std::string>{"personal_sign"});
  wallet.node->start();

  // The dApp is gone while the wallet approves: the answer and the settle wait in the relay's mailbox.
  dapp.close();
  auto topic = wallet.step([&](Engine& e) { return e.approve(proposal.id, granted()); });
  ASSERT_TRUE(topic) << topic.error().message;
  EXPECT_TRUE(wallet.node->engine().proposals().empty());
  ASSERT_TRUE(all_sent(wallet));
  EXPECT_EQ(wallet.count<session::SessionSettled>(), 0u);  // the dApp has not acknowledged the settle

  open_and_start(dapp);
  ASSERT_TRUE(run_until(
      [&] { return dapp.count<session::SessionSettled>() == 1 && wallet.count<session::SessionSettled>() == 1; }));
  EXPECT_EQ(dapp.all<session::SessionSettled>()[0].session.topic, *topic);
  EXPECT_EQ(wallet.count<session::ProposalReceived>(), 1u);  // the proposal was not handled twice

  auto id = request(*topic, "0x10");
  ASSERT_TRUE(id) << id.error().message;
  answer(*id, "0x11");
}

TEST_F(SessionNodeTest, WhenSentFiresOnceTheRelayAckedEverything) {
  open_and_start(dapp);
  open_and_start(wallet);

  // Nothing queued: at the next turn of the loop, connected or not.
  ASSERT_TRUE(all_sent(dapp));
  const std::string topic = settle();

  dapp.node->stop();
  ASSERT_TRUE(dapp.step([&](Engine& e) { return e.ping(topic); }));
  ASSERT_TRUE(request(topic, "0x20"));
  std::optional<std::int64_t> queued_then;
  dapp.node->when_sent([&] { queued_then = committed_rows(dapp.dir, "relay_outbox"); });
  io.poll();  // everything that is ready: no relay to ack anything
  EXPECT_FALSE(queued_then);

  dapp.node->start();
  ASSERT_TRUE(run_until([&] { return queued_then.has_value(); }));
  EXPECT_EQ(*queued_then, 0);
}

}  // namespace
}  // namespace keylink::runtime
