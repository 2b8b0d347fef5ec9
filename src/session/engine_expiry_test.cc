// Expiries a peer chooses are capped, and pending requests are told apart by (topic, id).
#include <gtest/gtest.h>

#include "engine_harness.h"
#include "keylink/wire/envelope.h"

namespace keylink::session {
namespace {

using testing::Network;
using testing::Party;
using namespace std::chrono_literals;

const std::string kAccount = "eip155:1:0xab16a96d359ec26a11e2c2b3d8f8b8942d5bfcdb";
// Past 2262, where a TimePoint in nanoseconds overflows.
constexpr std::int64_t kFarFuture = 10'000'000'000'000;

ProposalNamespaces required() { return {{"eip155", {{"eip155:1"}, {"personal_sign"}, {}}}}; }
SessionNamespaces granted() { return {{"eip155", {{"eip155:1"}, {kAccount}, {"personal_sign"}, {}}}}; }

class EngineExpiryTest : public ::testing::Test {
 protected:
  keylink::testing::TempDir dir;
  FixedRng rng{11};
  ManualClock clock;
  Party dapp{dir.file("dapp.db"), "dapp", rng, clock};
  Party wallet{dir.file("wallet.db"), "wallet", rng, clock};
  Network net{dapp, wallet};

  std::string settle() {
    auto connection = dapp.engine->connect(required());
    EXPECT_TRUE(connection) << connection.error().message;
    EXPECT_TRUE(wallet.engine->pair(connection->uri));
    net.pump();
    auto received = wallet.next<ProposalReceived>();
    EXPECT_TRUE(received);
    if (!received) return "";
    auto topic = wallet.engine->approve(received->proposal.id, granted());
    EXPECT_TRUE(topic) << topic.error().message;
    net.pump();
    EXPECT_TRUE(dapp.next<SessionSettled>());
    EXPECT_TRUE(wallet.next<SessionSettled>());
    return topic.value_or("");
  }

  // A wc_sessionRequest as a peer may write it: any id, any expiryTimestamp.
  void send_request(const std::string& topic, std::int64_t id, const std::string& expiry) {
    auto key = dapp.store->get_key(topic);
    ASSERT_TRUE(key && *key);
    const std::string text = R"({"id":)" + std::to_string(id) +
                             R"(,"jsonrpc":"2.0","method":"wc_sessionRequest","params":{"request":{"method":)"
                             R"("personal_sign","params":["0x00","0xab"],"expiryTimestamp":)" +
                             expiry + R"(},"chainId":"eip155:1"}})";
    ASSERT_TRUE(wallet.engine->on_message(topic, wire::seal_type0(**key, text, rng)));
  }

  TimePoint in(std::chrono::seconds seconds) const { return clock.now() + seconds; }
};

TEST_F(EngineExpiryTest, ARequestExpiryPast2262IsCappedAtSevenDays) {
  const std::string topic = settle();
  const std::int64_t id = clock.unix_millis() * 1000 + 1;
  send_request(topic, id, std::to_string(kFarFuture));
  net.hold = true;
  net.pump();
  auto received = wallet.next<RequestReceived>();
  ASSERT_TRUE(received);
  EXPECT_EQ(received->expiry, clock.unix_seconds() + 7 * 86400);
  auto deadline = wallet.engine->next_deadline();
  ASSERT_TRUE(deadline);
  EXPECT_GT(*deadline, clock.now());
  EXPECT_LE(*deadline, in(7 * 86400s));

  clock.advance(7 * 86400s);
  ASSERT_TRUE(wallet.engine->on_timer());
  net.pump();
  auto expired = wallet.next<RequestExpired>();
  ASSERT_TRUE(expired);
  EXPECT_EQ(expired->id, id);
}

TEST_F(EngineExpiryTest, ProposalPairingAndSessionExpiriesOfAPeerAreCapped) {
  // A dApp whose pairing URI and proposal say 300,000 years, and a wallet whose settlement says as much.
  dapp.options.pairing_lifetime = kFarFuture;
  dapp.open();
  wallet.options.session_lifetime = kFarFuture;
  wallet.open();
  auto connection = dapp.engine->connect(required());
  ASSERT_TRUE(connection) << connection.error().message;
  ASSERT_TRUE(wallet.engine->pair(connection->uri));
  net.pump();
  ASSERT_EQ(wallet.engine->pairings().size(), 1u);
  EXPECT_EQ(wallet.engine->pairings()[0].expiry, clock.unix_seconds() + 300);
  auto received = wallet.next<ProposalReceived>();
  ASSERT_TRUE(received);
  EXPECT_EQ(received->proposal.expiry, clock.unix_seconds() + 300);
  EXPECT_LE(*wallet.engine->next_deadline(), in(300s));

  ASSERT_TRUE(wallet.engine->approve(received->proposal.id, granted()));
  net.pump();
  auto settled = dapp.next<SessionSettled>();
  ASSERT_TRUE(settled);
  EXPECT_EQ(settled->session.expiry, clock.unix_seconds() + 7 * 86400);

  // The wallet's own far expiry (a record from before the caps) still gives a deadline that is a date.
  clock.advance(301s);
  ASSERT_TRUE(wallet.engine->on_timer());
  ASSERT_TRUE(dapp.engine->on_timer());
  net.pump();
  auto deadline = wallet.engine->next_deadline();
  ASSERT_TRUE(deadline);
  EXPECT_GT(*deadline, clock.now());
  EXPECT_GT(deadline->time_since_epoch(), decltype(deadline->time_since_epoch())::zero());
}

TEST_F(EngineExpiryTest, TheSameRequestIdOnTwoSessionsIsTwoRequests) {
  const std::string first = settle();
  const std::string second = settle();
  ASSERT_NE(first, second);
  const std::int64_t id = clock.unix_millis() * 1000 + 7;
  send_request(first, id, "null");
  send_request(second, id, "null");
  net.hold = true;
  net.pump();
  ASSERT_EQ(wallet.count<RequestReceived>(), 2);
  EXPECT_EQ(wallet.engine->pending_requests().size(), 2u);
  EXPECT_TRUE(wallet.engine->respond(first, id, "0xfirst"));
  EXPECT_TRUE(wallet.engine->respond(second, id, "0xsecond"));

  // Each answer reaches its own session, after a restart of the wallet too.
  send_request(first, id + 1, "null");
  send_request(second, id + 1, "null");
  wallet.open();
  EXPECT_EQ(wallet.engine->pending_requests().size(), 2u);
  EXPECT_TRUE(wallet.engine->respond(second, id + 1, "0xsecond"));
  EXPECT_TRUE(wallet.engine->respond(first, id + 1, "0xfirst"));
}

}  // namespace
}  // namespace keylink::session
