// The Sign engine under a hostile or unreliable relay: duplicated, replayed, reordered and lost
// messages, restarts at every step of the handshake, tampered envelopes, and random schedules of all
// of that. Each test states a property of the message stream, not one scripted run.
//
// What the relay may do, as the harness models it: a message waits in a mailbox until a party other
// than its sender subscribes to its topic (so the settle never reaches a dApp before the proposal
// response that makes it subscribe); once both sides subscribe, messages on a topic may come in any
// order, twice, or never.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine_harness.h"
#include "keylink/base/encoding.h"
#include "keylink/session/engine.h"

namespace keylink::session {
namespace {

using testing::Network;
using testing::Party;
using namespace std::chrono_literals;

const std::string kAccount = "eip155:1:0xab16a96d359ec26a11e2c2b3d8f8b8942d5bfcdb";
const std::string kPolygonAccount = "eip155:137:0xab16a96d359ec26a11e2c2b3d8f8b8942d5bfcdb";

ProposalNamespaces required() {
  return {{"eip155", {{"eip155:1"}, {"personal_sign", "eth_sendTransaction"}, {"accountsChanged", "chainChanged"}}}};
}

SessionNamespaces granted() {
  return {{"eip155",
           {{"eip155:1"}, {kAccount}, {"personal_sign", "eth_sendTransaction"}, {"accountsChanged", "chainChanged"}}}};
}

SessionNamespaces wider() {
  SessionNamespaces out = granted();
  out["eip155"].chains.push_back("eip155:137");
  out["eip155"].accounts.push_back(kPolygonAccount);
  return out;
}

// Two parties and a relay between them, all from one seed.
struct World {
  explicit World(std::uint64_t seed = 7) : rng(seed) {}
  keylink::testing::TempDir dir;
  FixedRng rng;
  ManualClock clock;
  Party dapp{dir.file("dapp.db"), "dapp", rng, clock};
  Party wallet{dir.file("wallet.db"), "wallet", rng, clock};
  Network net{dapp, wallet};

  // A restart between two engine calls: what the engine said is collected (the runtime commits the
  // messages of a call with its state), then the engine is reopened from its file.
  void restart(Party& party) {
    net.collect_all();
    party.open();
    net.collect_all();
  }
};

// The oldest message in flight that somebody would receive now.
std::optional<std::size_t> deliverable(World& w) {
  w.net.collect_all();
  for (std::size_t i = 0; i < w.net.in_flight(); ++i) {
    if (w.net.receiver_at(i)) return i;
  }
  return std::nullopt;
}

bool only_dropped(const std::vector<Action>& actions) {
  return std::all_of(actions.begin(), actions.end(),
                     [](const Action& a) { return std::holds_alternative<MessageDropped>(a); });
}

std::string dropped_reasons(const std::vector<Action>& actions) {
  std::string out;
  for (const auto& action : actions) {
    if (auto* dropped = std::get_if<MessageDropped>(&action)) out += dropped->reason + "; ";
  }
  return out;
}

// Delivers everything deliverable, oldest first, each message `copies` times in a row; every copy after
// the first must give one MessageDropped and nothing else. Returns the number of such copies.
int drain(World& w, int copies = 1) {
  int dropped = 0;
  while (auto next = deliverable(w)) {
    Party* to = w.net.receiver_at(*next);
    const Publish message = w.net.peek(*next);
    w.net.deliver_at(*next);
    for (int copy = 1; copy < copies; ++copy) {
      auto actions = w.net.hand(*to, message);
      EXPECT_EQ(actions.size(), 1u) << "a copy of a message on " << message.topic << ": " << dropped_reasons(actions);
      EXPECT_TRUE(only_dropped(actions)) << "a copy of a message on " << message.topic << " did more than drop";
      dropped += static_cast<int>(actions.size());
    }
  }
  return dropped;
}

template <class T>
const T* last(const Party& party) {
  for (auto it = party.events.rbegin(); it != party.events.rend(); ++it) {
    if (auto* found = std::get_if<T>(&*it)) return found;
  }
  return nullptr;
}

// The kinds of app events a party saw, in order, without the MessageDropped log lines.
std::vector<std::size_t> kinds(const Party& party) {
  std::vector<std::size_t> out;
  for (const auto& event : party.events) {
    if (!std::holds_alternative<MessageDropped>(event)) out.push_back(event.index());
  }
  return out;
}

// connect(), pair(), approve(): both settled. Returns the session topic.
std::string handshake(World& w) {
  auto connection = w.dapp.engine->connect(required());
  EXPECT_TRUE(connection);
  EXPECT_TRUE(w.wallet.engine->pair(connection->uri));
  drain(w);
  auto proposal = w.wallet.next<ProposalReceived>();
  EXPECT_TRUE(proposal);
  if (!proposal) return "";
  auto topic = w.wallet.engine->approve(proposal->proposal.id, granted());
  EXPECT_TRUE(topic);
  drain(w);
  EXPECT_TRUE(w.dapp.next<SessionSettled>());
  EXPECT_TRUE(w.wallet.next<SessionSettled>());
  return topic.value_or("");
}

// Every kind of message once, each delivered `copies` times: propose, its response, settle, its ack, a
// request and its response, an event, update and extend with their acks, a ping each way, and a delete.
int full_flow(World& w, int copies) {
  int dropped = 0;
  auto connection = w.dapp.engine->connect(required());
  EXPECT_TRUE(connection);
  EXPECT_TRUE(w.wallet.engine->pair(connection->uri));
  dropped += drain(w, copies);
  const auto* proposal = last<ProposalReceived>(w.wallet);
  EXPECT_NE(proposal, nullptr);
  if (!proposal) return dropped;
  auto topic = w.wallet.engine->approve(proposal->proposal.id, granted());
  EXPECT_TRUE(topic);
  dropped += drain(w, copies);
  auto id = w.dapp.engine->request(*topic, "eip155:1", "personal_sign", Json::array({"0x68656c6c6f", kAccount}));
  EXPECT_TRUE(id);
  dropped += drain(w, copies);
  EXPECT_TRUE(w.wallet.engine->respond(*topic, *id, "0xsignature"));
  dropped += drain(w, copies);
  EXPECT_TRUE(w.wallet.engine->emit(*topic, "eip155:1", "chainChanged", 1));
  dropped += drain(w, copies);
  EXPECT_TRUE(w.wallet.engine->update(*topic, wider()));
  dropped += drain(w, copies);
  w.clock.advance(1h);
  EXPECT_TRUE(w.wallet.engine->extend(*topic));
  dropped += drain(w, copies);
  EXPECT_TRUE(w.dapp.engine->ping(*topic));
  dropped += drain(w, copies);
  EXPECT_TRUE(w.wallet.engine->ping(*topic));
  dropped += drain(w, copies);
  EXPECT_TRUE(w.dapp.engine->disconnect(*topic));
  dropped += drain(w, copies);
  return dropped;
}

TEST(EngineAdversarialTest, EveryMessageDeliveredTwiceEndsAsTheCleanRun) {
  World clean, twice;
  EXPECT_EQ(full_flow(clean, 1), 0);
  // 16 messages: propose, response, settle, ack, request, response, event, update, ack, extend, ack,
  // ping, pong, ping, pong, delete.
  EXPECT_EQ(full_flow(twice, 2), 16);

  EXPECT_EQ(kinds(twice.dapp), kinds(clean.dapp));
  EXPECT_EQ(kinds(twice.wallet), kinds(clean.wallet));
  EXPECT_EQ(clean.dapp.count<MessageDropped>() + clean.wallet.count<MessageDropped>(), 0);
  EXPECT_EQ(twice.dapp.count<MessageDropped>() + twice.wallet.count<MessageDropped>(), 16);
  for (World* w : {&clean, &twice}) {
    EXPECT_EQ(w->dapp.count<SessionSettled>(), 1);
    EXPECT_EQ(w->dapp.count<ResponseReceived>(), 1);
    EXPECT_EQ(w->dapp.count<EventReceived>(), 1);
    EXPECT_EQ(w->dapp.count<SessionUpdated>(), 1);
    EXPECT_EQ(w->dapp.count<SessionExtended>(), 1);
    EXPECT_EQ(w->dapp.count<PingAnswered>(), 1);
    EXPECT_EQ(w->dapp.count<SessionDeleted>(), 1);
    EXPECT_EQ(w->wallet.count<ProposalReceived>(), 1);
    EXPECT_EQ(w->wallet.count<SessionSettled>(), 1);
    EXPECT_EQ(w->wallet.count<RequestReceived>(), 1);
    EXPECT_EQ(w->wallet.count<PingAnswered>(), 1);
    EXPECT_EQ(w->wallet.count<SessionDeleted>(), 1);
    EXPECT_TRUE(w->dapp.engine->sessions().empty());
    EXPECT_TRUE(w->wallet.engine->sessions().empty());
    EXPECT_TRUE(w->dapp.engine->pending_requests().empty());
    EXPECT_TRUE(w->wallet.engine->pending_requests().empty());
  }
}

// Old messages a relay (or anyone who recorded the traffic) hands over again, after they were handled,
// and again after the receiver restarted: the ids handled are in the store, so all are dropped.
TEST(EngineAdversarialTest, ReplayedHandshakeMessagesAreDroppedAcrossRestarts) {
  World w;
  const std::string topic = handshake(w);
  ASSERT_GE(w.dapp.published.size(), 2u);
  ASSERT_GE(w.wallet.published.size(), 2u);
  const Publish propose = w.dapp.published[0];
  const Publish response = w.wallet.published[0];
  const Publish settle = w.wallet.published[1];
  const Publish ack = w.dapp.published[1];
  ASSERT_EQ(settle.topic, topic);

  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE(round == 0 ? "after handling" : "after a restart");
    for (auto [to, message] : std::vector<std::pair<Party*, Publish>>{
             {&w.wallet, propose}, {&w.dapp, response}, {&w.dapp, settle}, {&w.wallet, ack}}) {
      auto actions = w.net.hand(*to, message);
      ASSERT_EQ(actions.size(), 1u) << message.topic;
      EXPECT_NE(std::get<MessageDropped>(actions[0]).reason.find("replayed"), std::string::npos)
          << std::get<MessageDropped>(actions[0]).reason;
    }
    w.restart(w.dapp);
    w.restart(w.wallet);
  }
  EXPECT_EQ(w.wallet.count<ProposalReceived>(), 0);  // next<>() took the first
  EXPECT_EQ(w.dapp.count<SessionSettled>() + w.wallet.count<SessionSettled>(), 0);
  EXPECT_EQ(w.dapp.engine->sessions().size(), 1u);
  EXPECT_EQ(w.wallet.engine->sessions().size(), 1u);
  EXPECT_TRUE(w.wallet.engine->proposals().empty());
  EXPECT_EQ(w.net.in_flight(), 0u);
}

TEST(EngineAdversarialTest, AReplayedRequestOrResponseIsDroppedAcrossRestartsAndAfterTheSession) {
  World w;
  const std::string topic = handshake(w);
  auto id = w.dapp.engine->request(topic, "eip155:1", "personal_sign", Json::array());
  ASSERT_TRUE(id);
  drain(w);
  ASSERT_TRUE(w.wallet.next<RequestReceived>());
  ASSERT_TRUE(w.wallet.engine->respond(topic, *id, "0x01"));
  drain(w);
  ASSERT_TRUE(w.dapp.next<ResponseReceived>());
  const Publish request = w.dapp.published.back();
  const Publish answer = w.wallet.published.back();

  w.restart(w.wallet);
  w.restart(w.dapp);
  auto again = w.net.hand(w.wallet, request);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_NE(std::get<MessageDropped>(again[0]).reason.find("replayed"), std::string::npos);
  auto answered_again = w.net.hand(w.dapp, answer);
  ASSERT_EQ(answered_again.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<MessageDropped>(answered_again[0]));
  EXPECT_TRUE(w.wallet.engine->pending_requests().empty());

  ASSERT_TRUE(w.dapp.engine->disconnect(topic));
  drain(w);
  auto after = w.net.hand(w.wallet, request);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(std::get<MessageDropped>(after[0]).reason, "unknown topic");
  EXPECT_EQ(w.wallet.count<RequestReceived>(), 0);
  EXPECT_EQ(w.dapp.count<ResponseReceived>(), 0);
}

// The seen table forgets ids after 8 days, but an extended session lives longer: a message recorded
// before that must still not come back as new.
TEST(EngineAdversarialTest, AMessageOlderThanTheReplayMemoryIsDropped) {
  World w;
  const std::string topic = handshake(w);
  ASSERT_TRUE(w.wallet.engine->emit(topic, "eip155:1", "accountsChanged", Json::array({kAccount})));
  w.net.collect_all();
  const Publish event = w.wallet.published.back();
  drain(w);
  ASSERT_TRUE(w.dapp.next<EventReceived>());
  for (int day = 0; day < 3; ++day) {  // the session is kept alive for 9 days
    w.clock.advance(3 * 24h);
    ASSERT_TRUE(w.wallet.engine->extend(topic));
    drain(w);
    ASSERT_TRUE(w.dapp.engine->on_timer());
    ASSERT_TRUE(w.wallet.engine->on_timer());
    drain(w);
  }
  ASSERT_EQ(w.dapp.engine->sessions().size(), 1u);
  auto replay = w.net.hand(w.dapp, event);
  ASSERT_EQ(replay.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<MessageDropped>(replay[0]));
  EXPECT_EQ(w.dapp.count<EventReceived>(), 0);
}

// Relays keep no order across topics; sign-client subscribes to the session topic only when the
// proposal response arrives, so the settle waits in the mailbox until then.
TEST(EngineAdversarialTest, TheSettleWaitsForTheProposalResponse) {
  World w;
  auto connection = w.dapp.engine->connect(required());
  ASSERT_TRUE(connection);
  ASSERT_TRUE(w.wallet.engine->pair(connection->uri));
  drain(w);
  auto proposal = w.wallet.next<ProposalReceived>();
  ASSERT_TRUE(proposal);
  auto topic = w.wallet.engine->approve(proposal->proposal.id, granted());
  ASSERT_TRUE(topic);
  w.net.collect_all();
  ASSERT_EQ(w.net.in_flight(), 2u);
  ASSERT_EQ(w.net.peek(1).topic, *topic);
  EXPECT_EQ(w.net.receiver_at(1), nullptr);  // nobody takes the settle yet

  // A relay that pushed it anyway, before the response: the dApp drops it and keeps nothing of it,
  // so the same message still settles when it comes again after the subscribe.
  const Publish settle = w.net.peek(1);
  auto early = w.net.hand(w.dapp, settle);
  ASSERT_EQ(early.size(), 1u);
  EXPECT_EQ(std::get<MessageDropped>(early[0]).reason, "unknown topic");
  EXPECT_EQ(w.dapp.engine->proposals().size(), 1u);

  w.net.deliver_at(0);  // the response: the dApp subscribes to the session topic
  w.net.collect_all();
  ASSERT_NE(w.net.receiver_at(0), nullptr);
  drain(w);
  EXPECT_EQ(w.dapp.count<SessionSettled>(), 1);
  EXPECT_EQ(w.wallet.count<SessionSettled>(), 1);
}

TEST(EngineAdversarialTest, RequestsAndAnswersInAnyOrder) {
  World w;
  const std::string topic = handshake(w);
  auto first = w.dapp.engine->request(topic, "eip155:1", "personal_sign", Json::array({"first"}));
  w.clock.advance(1s);
  auto second = w.dapp.engine->request(topic, "eip155:1", "eth_sendTransaction", Json::array({"second"}));
  ASSERT_TRUE(first && second);
  w.net.collect_all();
  ASSERT_EQ(w.net.in_flight(), 2u);
  w.net.deliver_at(1);  // the second request first
  w.net.deliver_at(0);
  auto got_second = w.wallet.next<RequestReceived>();
  auto got_first = w.wallet.next<RequestReceived>();
  ASSERT_TRUE(got_first && got_second);
  EXPECT_EQ(got_second->id, *second);
  EXPECT_EQ(got_first->id, *first);

  ASSERT_TRUE(w.wallet.engine->respond(topic, *first, "one"));
  ASSERT_TRUE(w.wallet.engine->respond_error(topic, *second, {codes::kUserRejected, "User rejected.", Json()}));
  w.net.collect_all();
  ASSERT_EQ(w.net.in_flight(), 2u);
  w.net.deliver_at(1);  // the answers in reverse order too
  w.net.deliver_at(0);
  auto answer_second = w.dapp.next<ResponseReceived>();
  auto answer_first = w.dapp.next<ResponseReceived>();
  ASSERT_TRUE(answer_first && answer_second);
  EXPECT_EQ(answer_second->id, *second);
  EXPECT_EQ(std::get<wire::RpcError>(answer_second->outcome).code, codes::kUserRejected);
  EXPECT_EQ(answer_first->id, *first);
  EXPECT_EQ(std::get<Json>(answer_first->outcome), "one");
  EXPECT_TRUE(w.dapp.engine->pending_requests().empty());
  EXPECT_TRUE(w.wallet.engine->pending_requests().empty());
  EXPECT_EQ(w.dapp.count<MessageDropped>() + w.wallet.count<MessageDropped>(), 0);
}

TEST(EngineAdversarialTest, AnUpdateAndAnExtendInReverseOrderBothApply) {
  World w;
  const std::string topic = handshake(w);
  ASSERT_TRUE(w.wallet.engine->update(topic, wider()));
  w.clock.advance(1h);
  ASSERT_TRUE(w.wallet.engine->extend(topic));
  w.net.collect_all();
  ASSERT_EQ(w.net.in_flight(), 2u);
  w.net.deliver_at(1);  // extend, then update
  w.net.deliver_at(0);
  drain(w);
  ASSERT_TRUE(w.dapp.next<SessionExtended>());
  ASSERT_TRUE(w.dapp.next<SessionUpdated>());
  const Session dapp_side = w.dapp.engine->sessions().at(0);
  const Session wallet_side = w.wallet.engine->sessions().at(0);
  EXPECT_EQ(dapp_side.namespaces.at("eip155").chains.size(), 2u);
  EXPECT_EQ(dapp_side.expiry, w.clock.unix_seconds() + 7 * 86400);
  EXPECT_EQ(dapp_side.expiry, wallet_side.expiry);
  EXPECT_TRUE(w.wallet.engine->pending_requests().empty());  // both acks came back
  EXPECT_EQ(w.dapp.count<MessageDropped>() + w.wallet.count<MessageDropped>(), 0);
}

// Two updates, the newer delivered first: applying the older one last would leave the dApp with
// namespaces the wallet no longer has. sign-client (isRequestOutOfSync) refuses an update older, to the
// millisecond, than the last one applied with 1003, and ignores an older event of the same name.
TEST(EngineAdversarialTest, AnOlderUpdateOrEventArrivingLastIsRefused) {
  World w;
  const std::string topic = handshake(w);
  ASSERT_TRUE(w.wallet.engine->update(topic, wider()));
  w.clock.advance(1s);
  ASSERT_TRUE(w.wallet.engine->update(topic, granted()));
  w.net.collect_all();
  ASSERT_EQ(w.net.in_flight(), 2u);
  w.net.deliver_at(1);
  w.net.deliver_at(0);
  drain(w);
  EXPECT_EQ(w.dapp.count<SessionUpdated>(), 1);
  EXPECT_EQ(w.dapp.engine->sessions().at(0).namespaces.at("eip155").chains,
            w.wallet.engine->sessions().at(0).namespaces.at("eip155").chains);
  EXPECT_EQ(w.dapp.engine->sessions().at(0).namespaces.at("eip155").chains.size(), 1u);
  EXPECT_EQ(w.dapp.count<MessageDropped>(), 1);    // the stale update, for the log
  EXPECT_EQ(w.wallet.count<MessageDropped>(), 1);  // its 1003 refusal
  EXPECT_TRUE(w.wallet.engine->pending_requests().empty());

  ASSERT_TRUE(w.wallet.engine->emit(topic, "eip155:1", "chainChanged", 1));
  w.clock.advance(1s);
  ASSERT_TRUE(w.wallet.engine->emit(topic, "eip155:1", "chainChanged", 137));
  ASSERT_TRUE(w.wallet.engine->emit(topic, "eip155:1", "accountsChanged", Json::array()));
  w.net.collect_all();
  ASSERT_EQ(w.net.in_flight(), 3u);
  w.net.deliver_at(1);
  w.net.deliver_at(0);
  w.net.deliver_at(0);
  ASSERT_EQ(w.dapp.count<EventReceived>(), 2);
  EXPECT_EQ(w.dapp.next<EventReceived>()->data, 137);
  EXPECT_EQ(w.dapp.next<EventReceived>()->name, "accountsChanged");
}

// A lost settle ack: the dApp is settled and uses the session; the wallet's session stays
// unacknowledged (no SessionSettled for its app, and emit/update/extend refuse with kNotFound "not
// settled yet") but it receives and answers requests. After 5 minutes the wallet stops waiting for the
// ack without an event; the session lives on, unacknowledged, until its expiry deletes it.
TEST(EngineAdversarialTest, ALostSettleAckLeavesTheWalletUnacknowledged) {
  World w;
  auto connection = w.dapp.engine->connect(required());
  ASSERT_TRUE(connection);
  ASSERT_TRUE(w.wallet.engine->pair(connection->uri));
  drain(w);
  auto proposal = w.wallet.next<ProposalReceived>();
  ASSERT_TRUE(proposal);
  auto topic = w.wallet.engine->approve(proposal->proposal.id, granted());
  ASSERT_TRUE(topic);
  w.net.deliver_at(0);  // response
  w.net.deliver_at(0);  // settle
  w.net.collect_all();
  ASSERT_EQ(w.net.in_flight(), 1u);
  w.net.take(0);  // the ack is lost
  EXPECT_EQ(w.dapp.count<SessionSettled>(), 1);
  EXPECT_EQ(w.wallet.count<SessionSettled>(), 0);
  ASSERT_EQ(w.wallet.engine->sessions().size(), 1u);
  EXPECT_FALSE(w.wallet.engine->sessions()[0].acknowledged);

  auto id = w.dapp.engine->request(*topic, "eip155:1", "personal_sign", Json::array());
  ASSERT_TRUE(id);
  drain(w);
  ASSERT_TRUE(w.wallet.next<RequestReceived>());
  ASSERT_TRUE(w.wallet.engine->respond(*topic, *id, "0x02"));
  drain(w);
  ASSERT_TRUE(w.dapp.next<ResponseReceived>());
  EXPECT_EQ(w.wallet.engine->emit(*topic, "eip155:1", "chainChanged", 1).error().code, Errc::kNotFound);

  w.clock.advance(301s);
  ASSERT_TRUE(w.wallet.engine->on_timer());
  drain(w);
  EXPECT_EQ(w.wallet.count<RequestExpired>(), 0);
  EXPECT_TRUE(w.wallet.engine->pending_requests().empty());
  ASSERT_EQ(w.wallet.engine->sessions().size(), 1u);
  EXPECT_FALSE(w.wallet.engine->sessions()[0].acknowledged);
  EXPECT_EQ(w.wallet.count<SessionSettled>(), 0);

  w.clock.advance(7 * 24h);
  ASSERT_TRUE(w.wallet.engine->on_timer());
  ASSERT_TRUE(w.dapp.engine->on_timer());
  drain(w);
  EXPECT_EQ(w.wallet.next<SessionDeleted>()->reason.code, codes::kExpired);
  EXPECT_EQ(w.dapp.next<SessionDeleted>()->reason.code, codes::kExpired);
}

// A lost proposal response: the dApp never subscribes to the session topic, so the settle waits
// forever; the dApp's proposal expires (8000), and the wallet's session stays unacknowledged.
TEST(EngineAdversarialTest, ALostProposalResponseExpiresTheProposal) {
  World w;
  auto connection = w.dapp.engine->connect(required());
  ASSERT_TRUE(connection);
  ASSERT_TRUE(w.wallet.engine->pair(connection->uri));
  drain(w);
  auto proposal = w.wallet.next<ProposalReceived>();
  ASSERT_TRUE(proposal);
  ASSERT_TRUE(w.wallet.engine->approve(proposal->proposal.id, granted()));
  w.net.collect_all();
  w.net.take(0);
  drain(w);
  EXPECT_EQ(w.net.in_flight(), 1u);  // the settle, waiting for a subscriber
  w.clock.advance(300s);
  ASSERT_TRUE(w.dapp.engine->on_timer());
  drain(w);
  auto rejected = w.dapp.next<ProposalRejected>();
  ASSERT_TRUE(rejected);
  EXPECT_EQ(rejected->error.code, codes::kSessionRequestExpired);
  EXPECT_EQ(w.dapp.count<SessionSettled>(), 0);
  EXPECT_TRUE(w.dapp.engine->proposals().empty());
  ASSERT_EQ(w.wallet.engine->sessions().size(), 1u);
  EXPECT_FALSE(w.wallet.engine->sessions()[0].acknowledged);
}

TEST(EngineAdversarialTest, ALostRequestExpiresAtTheDapp) {
  World w;
  const std::string topic = handshake(w);
  auto id = w.dapp.engine->request(topic, "eip155:1", "personal_sign", Json::array(), 600);
  ASSERT_TRUE(id);
  w.net.collect_all();
  w.net.take(0);
  ASSERT_EQ(w.dapp.engine->pending_requests().size(), 1u);
  EXPECT_EQ(w.dapp.engine->pending_requests()[0].expiry, w.clock.unix_seconds() + 600);
  w.clock.advance(599s);
  ASSERT_TRUE(w.dapp.engine->on_timer());
  EXPECT_EQ(w.dapp.count<RequestExpired>(), 0);
  w.clock.advance(1s);
  ASSERT_TRUE(w.dapp.engine->on_timer());
  drain(w);
  auto expired = w.dapp.next<RequestExpired>();
  ASSERT_TRUE(expired);
  EXPECT_EQ(expired->id, *id);
  EXPECT_TRUE(w.dapp.engine->pending_requests().empty());
  EXPECT_EQ(w.wallet.count<RequestReceived>(), 0);
  EXPECT_EQ(w.net.in_flight(), 0u);  // nothing is sent for a request that expired at its sender
}

// A ping whose answer is lost ends, after 5 minutes, as RequestExpired for the ping's id.
TEST(EngineAdversarialTest, APingWhoseAnswerIsLostExpires) {
  World w;
  const std::string topic = handshake(w);
  auto id = w.dapp.engine->ping(topic);
  ASSERT_TRUE(id);
  w.net.deliver_at(0);
  w.net.collect_all();
  ASSERT_EQ(w.net.in_flight(), 1u);
  w.net.take(0);
  w.clock.advance(300s);
  ASSERT_TRUE(w.dapp.engine->on_timer());
  drain(w);
  EXPECT_EQ(w.dapp.count<PingAnswered>(), 0);
  auto expired = w.dapp.next<RequestExpired>();
  ASSERT_TRUE(expired);
  EXPECT_EQ(expired->id, *id);
  EXPECT_EQ(w.dapp.engine->sessions().size(), 1u);  // a missed pong does not end the session
}

// A lost delete: the other side keeps the session (its pings go unanswered) until the expiry deletes it.
TEST(EngineAdversarialTest, ALostDeleteLeavesThePeerItsSessionUntilExpiry) {
  World w;
  const std::string topic = handshake(w);
  ASSERT_TRUE(w.dapp.engine->disconnect(topic));
  w.net.collect_all();
  w.net.take(0);
  EXPECT_EQ(w.dapp.count<SessionDeleted>(), 1);
  ASSERT_EQ(w.wallet.engine->sessions().size(), 1u);

  ASSERT_TRUE(w.wallet.engine->ping(topic));
  drain(w);
  EXPECT_EQ(w.net.in_flight(), 1u);  // nobody subscribes to the topic any more
  w.clock.advance(300s);
  ASSERT_TRUE(w.wallet.engine->on_timer());
  w.net.collect_all();
  EXPECT_TRUE(w.wallet.next<RequestExpired>());
  EXPECT_EQ(w.wallet.engine->sessions().size(), 1u);

  w.clock.advance(7 * 24h);
  ASSERT_TRUE(w.wallet.engine->on_timer());
  w.net.collect_all();
  auto deleted = w.wallet.next<SessionDeleted>();
  ASSERT_TRUE(deleted);
  EXPECT_EQ(deleted->topic, topic);
  EXPECT_EQ(deleted->reason.code, codes::kExpired);
  EXPECT_TRUE(w.wallet.engine->sessions().empty());
}

TEST(EngineAdversarialTest, AProposalThatArrivesExpiredIsDropped) {
  World w;
  auto connection = w.dapp.engine->connect(required());
  ASSERT_TRUE(connection);
  w.clock.advance(299s);
  ASSERT_TRUE(w.wallet.engine->pair(connection->uri));  // the URI is still valid
  w.clock.advance(1s);
  drain(w);
  EXPECT_EQ(w.wallet.count<ProposalReceived>(), 0);
  auto dropped = w.wallet.next<MessageDropped>();
  ASSERT_TRUE(dropped);
  EXPECT_NE(dropped->reason.find("expired"), std::string::npos);
  EXPECT_TRUE(w.wallet.engine->proposals().empty());
  ASSERT_TRUE(w.dapp.engine->on_timer());
  w.net.collect_all();
  ASSERT_TRUE(w.dapp.count<ProposalRejected>());
  EXPECT_EQ(w.dapp.next<ProposalRejected>()->error.code, codes::kSessionRequestExpired);
}

TEST(EngineAdversarialTest, AnExpiredProposalCannotBeApproved) {
  World w;
  auto connection = w.dapp.engine->connect(required());
  ASSERT_TRUE(connection);
  ASSERT_TRUE(w.wallet.engine->pair(connection->uri));
  drain(w);
  auto proposal = w.wallet.next<ProposalReceived>();
  ASSERT_TRUE(proposal);
  w.clock.advance(300s);
  EXPECT_EQ(w.wallet.engine->approve(proposal->proposal.id, granted()).error().code, Errc::kExpired);
  ASSERT_TRUE(w.wallet.engine->on_timer());
  EXPECT_EQ(w.wallet.engine->approve(proposal->proposal.id, granted()).error().code, Errc::kNotFound);
  EXPECT_TRUE(w.wallet.engine->proposals().empty());
  EXPECT_TRUE(w.wallet.engine->sessions().empty());
  ASSERT_TRUE(w.dapp.engine->on_timer());
  drain(w);
  EXPECT_TRUE(w.dapp.next<ProposalRejected>());
  EXPECT_TRUE(w.wallet.published.empty());
}

// For every point of the handshake (after k of its 4 messages, before or after the app reacted to
// what came), a restart of the dApp, the wallet or both: the session still settles, once per side.
TEST(EngineAdversarialTest, ARestartAtEveryStepOfTheHandshakeStillSettles) {
  enum class Who { kDapp, kWallet, kBoth };
  for (Who who : {Who::kDapp, Who::kWallet, Who::kBoth}) {
    for (int k = 0; k <= 4; ++k) {
      for (bool before_react : {true, false}) {
        SCOPED_TRACE("restart " +
                     std::string(who == Who::kDapp     ? "dapp"
                                 : who == Who::kWallet ? "wallet"
                                                       : "both") +
                     " after message " + std::to_string(k) + (before_react ? " before" : " after") +
                     " the app reacted");
        World w;
        auto connection = w.dapp.engine->connect(required());
        ASSERT_TRUE(connection);
        ASSERT_TRUE(w.wallet.engine->pair(connection->uri));
        int delivered = 0;
        bool restarted = false, approved = false;
        auto restart = [&] {
          if (restarted || delivered != k) return;
          restarted = true;
          if (who != Who::kWallet) w.restart(w.dapp);
          if (who != Who::kDapp) w.restart(w.wallet);
        };
        for (int step = 0; step < 20; ++step) {
          w.net.collect_all();
          if (before_react) restart();
          if (const auto* proposal = last<ProposalReceived>(w.wallet); proposal && !approved) {
            approved = true;
            ASSERT_TRUE(w.wallet.engine->approve(proposal->proposal.id, granted()));
          }
          if (!before_react) restart();
          auto next = deliverable(w);
          if (!next) break;
          w.net.deliver_at(*next);
          ++delivered;
        }
        EXPECT_EQ(delivered, 4);
        EXPECT_TRUE(restarted);
        EXPECT_EQ(w.dapp.count<SessionSettled>(), 1);
        EXPECT_EQ(w.wallet.count<SessionSettled>(), 1);
        EXPECT_EQ(w.dapp.count<MessageDropped>() + w.wallet.count<MessageDropped>(), 0);
        ASSERT_EQ(w.dapp.engine->sessions().size(), 1u);
        ASSERT_EQ(w.wallet.engine->sessions().size(), 1u);
        EXPECT_TRUE(w.wallet.engine->sessions()[0].acknowledged);
        EXPECT_EQ(w.dapp.engine->sessions()[0].topic, w.wallet.engine->sessions()[0].topic);
        EXPECT_TRUE(w.dapp.engine->proposals().empty());
        EXPECT_TRUE(w.wallet.engine->pending_requests().empty());
      }
    }
  }
}

// Every byte of a real sealed request flipped (two ways), and the text cut and mangled: each is one
// MessageDropped with a reason, nothing changes, and the genuine request still works afterwards.
TEST(EngineAdversarialTest, EveryTamperedByteIsDroppedAndTheGenuineMessageStillWorks) {
  World w;
  const std::string topic = handshake(w);
  auto id = w.dapp.engine->request(topic, "eip155:1", "personal_sign", Json::array({"0x68656c6c6f", kAccount}));
  ASSERT_TRUE(id);
  w.net.collect_all();
  const Publish genuine = w.net.take(0);
  auto bytes = from_base64(genuine.message);
  ASSERT_TRUE(bytes);
  const Session before = w.wallet.engine->sessions().at(0);

  std::vector<std::string> tampered;
  for (std::size_t i = 0; i < bytes->size(); ++i) {
    for (std::uint8_t mask : {std::uint8_t{0x01}, std::uint8_t{0x80}}) {
      Bytes changed = *bytes;
      changed[i] ^= mask;
      tampered.push_back(to_base64(changed));
    }
  }
  for (std::size_t cut = 0; cut < genuine.message.size(); cut += 7) tampered.push_back(genuine.message.substr(0, cut));
  tampered.push_back(genuine.message + "A");
  tampered.push_back(genuine.message + "====");
  tampered.push_back(" " + genuine.message);
  for (std::size_t i = 0; i < genuine.message.size(); i += 3) {
    std::string text = genuine.message;
    text[i] = text[i] == '/' ? '+' : '/';
    auto decoded = from_base64(text);
    if (decoded && *decoded == *bytes) continue;  // same bytes: not a tampered message
    tampered.push_back(text);
  }
  for (const std::string& text : tampered) {
    auto actions = w.net.hand(w.wallet, Publish{topic, text, 0, 0});
    ASSERT_EQ(actions.size(), 1u) << text;
    const auto* dropped = std::get_if<MessageDropped>(&actions[0]);
    ASSERT_NE(dropped, nullptr) << text;
    EXPECT_FALSE(dropped->reason.empty());
    EXPECT_EQ(dropped->topic, topic);
  }
  EXPECT_EQ(w.wallet.count<MessageDropped>(), static_cast<int>(tampered.size()));
  EXPECT_TRUE(w.wallet.engine->pending_requests().empty());
  const Session after = w.wallet.engine->sessions().at(0);
  EXPECT_EQ(after.expiry, before.expiry);
  EXPECT_EQ(after.acknowledged, before.acknowledged);
  EXPECT_EQ(after.namespaces.at("eip155").accounts, before.namespaces.at("eip155").accounts);

  w.net.hand(w.wallet, genuine);
  auto received = w.wallet.next<RequestReceived>();
  ASSERT_TRUE(received);
  EXPECT_EQ(received->id, *id);
  ASSERT_TRUE(w.wallet.engine->respond(topic, *id, "0xsignature"));
  drain(w);
  EXPECT_EQ(std::get<Json>(w.dapp.next<ResponseReceived>()->outcome), "0xsignature");
}

// ---- Random schedules.

class Scheduler {
 public:
  explicit Scheduler(std::uint64_t seed) : rng_(seed) {}
  std::uint32_t below(std::uint32_t n) {
    auto bytes = rng_.bytes<4>();
    const std::uint32_t value =
        (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) | (std::uint32_t{bytes[2]} << 8) | bytes[3];
    return value % n;
  }
  bool chance(std::uint32_t percent) { return below(100) < percent; }

 private:
  FixedRng rng_;
};

// The apps of both sides: the wallet approves what it is asked and answers every request; once settled,
// the dApp sends three requests and a ping, and the wallet emits an event, updates and extends.
struct Apps {
  std::size_t dapp_seen = 0, wallet_seen = 0;
  std::set<std::int64_t> sent;
  std::optional<std::int64_t> ping;

  void react(World& w) {
    for (; wallet_seen < w.wallet.events.size(); ++wallet_seen) {
      const Action event = w.wallet.events[wallet_seen];
      if (auto* proposal = std::get_if<ProposalReceived>(&event)) {
        ASSERT_TRUE(w.wallet.engine->approve(proposal->proposal.id, granted()));
      } else if (auto* request = std::get_if<RequestReceived>(&event)) {
        ASSERT_TRUE(w.wallet.engine->respond(request->topic, request->id, "answer " + std::to_string(request->id)));
      } else if (auto* settled = std::get_if<SessionSettled>(&event)) {
        const std::string& topic = settled->session.topic;
        ASSERT_TRUE(w.wallet.engine->emit(topic, "eip155:1", "chainChanged", 1));
        ASSERT_TRUE(w.wallet.engine->update(topic, wider()));
        ASSERT_TRUE(w.wallet.engine->extend(topic));
      }
    }
    for (; dapp_seen < w.dapp.events.size(); ++dapp_seen) {
      const Action event = w.dapp.events[dapp_seen];
      if (auto* settled = std::get_if<SessionSettled>(&event)) {
        const std::string& topic = settled->session.topic;
        for (const char* method : {"personal_sign", "eth_sendTransaction", "personal_sign"}) {
          auto id = w.dapp.engine->request(topic, "eip155:1", method, Json::array());
          ASSERT_TRUE(id);
          sent.insert(*id);
        }
        auto id = w.dapp.engine->ping(topic);
        ASSERT_TRUE(id);
        ping = *id;
      }
    }
  }
};

struct ScheduleStats {
  int restarts = 0, duplicates = 0, reordered = 0;
};

void random_schedule(std::uint64_t seed, ScheduleStats& stats) {
  World w(seed);
  Scheduler scheduler(seed);
  Apps apps;
  auto connection = w.dapp.engine->connect(required());
  ASSERT_TRUE(connection);
  ASSERT_TRUE(w.wallet.engine->pair(connection->uri));
  int restarts = 0, duplicates = 0;
  for (int step = 0; step < 500; ++step) {
    w.net.collect_all();
    apps.react(w);
    w.clock.advance(10ms);
    if (scheduler.chance(8)) {
      w.restart(scheduler.chance(50) ? w.dapp : w.wallet);
      ++restarts;
      continue;
    }
    w.net.collect_all();
    std::vector<std::size_t> ready;
    for (std::size_t i = 0; i < w.net.in_flight(); ++i) {
      if (w.net.receiver_at(i)) ready.push_back(i);
    }
    if (ready.empty()) break;
    // Any ready message, not only the oldest: on topics both sides subscribe to, order is not kept.
    const std::size_t pick = ready[scheduler.below(static_cast<std::uint32_t>(ready.size()))];
    stats.reordered += pick != ready.front() ? 1 : 0;
    if (scheduler.chance(20)) {
      w.net.resend(*w.net.sender(pick), w.net.peek(pick));
      ++duplicates;
    }
    w.net.deliver_at(pick);
    if (::testing::Test::HasFatalFailure()) return;
  }
  EXPECT_EQ(w.net.in_flight(), 0u);
  EXPECT_EQ(w.dapp.count<SessionSettled>(), 1);
  EXPECT_EQ(w.wallet.count<SessionSettled>(), 1);
  std::map<std::int64_t, int> received, answered;
  for (const auto& event : w.wallet.events) {
    if (auto* request = std::get_if<RequestReceived>(&event)) ++received[request->id];
  }
  for (const auto& event : w.dapp.events) {
    if (auto* response = std::get_if<ResponseReceived>(&event)) {
      ++answered[response->id];
      EXPECT_EQ(std::get<Json>(response->outcome), "answer " + std::to_string(response->id));
    }
  }
  for (const auto& [id, n] : received) EXPECT_EQ(n, 1) << "request " << id << " received more than once";
  for (const auto& [id, n] : answered) EXPECT_EQ(n, 1) << "request " << id << " answered more than once";
  EXPECT_EQ(answered.size(), apps.sent.size());
  for (auto id : apps.sent) EXPECT_TRUE(answered.contains(id)) << "request " << id << " never answered";
  EXPECT_EQ(w.dapp.count<PingAnswered>(), 1);
  EXPECT_EQ(w.dapp.count<EventReceived>(), 1);
  EXPECT_EQ(w.dapp.count<SessionUpdated>(), 1);
  EXPECT_EQ(w.dapp.count<SessionExtended>(), 1);
  EXPECT_EQ(w.dapp.count<RequestExpired>() + w.wallet.count<RequestExpired>(), 0);
  ASSERT_EQ(w.wallet.engine->sessions().size(), 1u);
  ASSERT_EQ(w.dapp.engine->sessions().size(), 1u);
  EXPECT_TRUE(w.wallet.engine->sessions()[0].acknowledged);
  EXPECT_EQ(w.dapp.engine->sessions()[0].namespaces.at("eip155").chains.size(), 2u);
  EXPECT_EQ(w.dapp.engine->sessions()[0].expiry, w.wallet.engine->sessions()[0].expiry);
  EXPECT_TRUE(w.dapp.engine->pending_requests().empty());
  EXPECT_TRUE(w.wallet.engine->pending_requests().empty());
  // Each duplicate is dropped once, and nothing else is.
  std::string reasons;
  for (const Party* party : {&w.dapp, &w.wallet}) {
    for (const auto& event : party->events) {
      if (auto* dropped = std::get_if<MessageDropped>(&event)) reasons += dropped->reason + "; ";
    }
  }
  EXPECT_EQ(w.dapp.count<MessageDropped>() + w.wallet.count<MessageDropped>(), duplicates) << reasons;
  stats.restarts += restarts;
  stats.duplicates += duplicates;
}

TEST(EngineAdversarialTest, RandomSchedulesOfDuplicatesReordersAndRestarts) {
  ScheduleStats stats;
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    random_schedule(seed, stats);
    if (HasFatalFailure()) return;
  }
  std::printf("50 schedules: %d restarts, %d duplicates, %d deliveries out of order\n", stats.restarts,
              stats.duplicates, stats.reordered);
  EXPECT_GT(stats.restarts, 0);
  EXPECT_GT(stats.duplicates, 0);
  EXPECT_GT(stats.reordered, 0);
}

}  // namespace
}  // namespace keylink::session
