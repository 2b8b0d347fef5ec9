// The Sign engine under a relay that duplicates, replays and reorders messages. Each test states a
// property of the message stream, not one scripted run; the relay model is in engine_harness.h.
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

#include "engine_adversarial.h"

namespace keylink::session {
namespace {

using namespace adversarial;
using testing::Network;
using testing::Party;
using namespace std::chrono_literals;

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
  auto proposal = propose(w);
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

}  // namespace
}  // namespace keylink::session
