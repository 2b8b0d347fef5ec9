// The Sign engine under a relay that loses messages, late messages, restarts at every step of the
// handshake, and tampered envelopes.
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

TEST(EngineAdversarialTest, ALostSettleAckLeavesTheWalletUnacknowledged) {
  World w;
  auto proposal = propose(w);
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
  auto proposal = propose(w);
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
  auto proposal = propose(w);
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

}  // namespace
}  // namespace keylink::session
