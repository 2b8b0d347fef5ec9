#include "keylink/keystore/session_upkeep.h"

#include <gtest/gtest.h>

namespace keylink::keystore {
namespace {

const TimePoint kNow{std::chrono::seconds(1'800'000'000)};

session::Session wallet_session(const std::string& topic, std::chrono::seconds left, bool xmtp = true) {
  session::Session s;
  s.topic = topic;
  s.role = session::Role::kWallet;
  s.expiry = std::chrono::duration_cast<std::chrono::seconds>((kNow + left).time_since_epoch()).count();
  if (xmtp) s.namespaces["xmtp"].chains = {"xmtp:v2"};
  s.namespaces["eip155"].chains = {"eip155:1"};
  return s;
}

Approval approval_on(const std::string& channel, TimePoint granted) {
  Approval a;
  a.id = "id-" + channel;
  a.channel = channel;
  a.granted_at = granted;
  a.expires_at = granted + kApprovalLifetime;
  return a;
}

TEST(SessionUpkeep, ExtendsASessionWhoseApprovalHoldsOnlyWhenItEndsWithinADay) {
  const std::vector<Approval> approvals = {approval_on("a", kNow), approval_on("b", kNow)};
  const auto upkeep = session_upkeep(
      approvals, {wallet_session("a", std::chrono::hours(23)), wallet_session("b", std::chrono::hours(25))}, kNow);
  EXPECT_EQ(upkeep.extend, std::vector<std::string>{"a"});
  EXPECT_TRUE(upkeep.end.empty());
}

TEST(SessionUpkeep, EndsTheSessionsOfRevokedExpiredOrMissingApprovals) {
  auto revoked = approval_on("revoked", kNow);
  revoked.revoked_at = kNow;
  const auto expired = approval_on("expired", kNow - kApprovalLifetime);
  const auto upkeep = session_upkeep({revoked, expired},
                                     {wallet_session("revoked", std::chrono::hours(1)),
                                      wallet_session("expired", std::chrono::hours(1)),
                                      wallet_session("none", std::chrono::hours(1))},
                                     kNow);
  EXPECT_EQ(upkeep.end, (std::vector<std::string>{"revoked", "expired", "none"}));
  EXPECT_TRUE(upkeep.extend.empty());
}

TEST(SessionUpkeep, TheNewestApprovalOfAChannelDecidesAndOtherSessionsAreLeftAlone) {
  auto old_one = approval_on("a", kNow - std::chrono::hours(48));
  old_one.revoked_at = kNow - std::chrono::hours(47);
  auto dapp = wallet_session("dapp", std::chrono::hours(1));
  dapp.role = session::Role::kDapp;
  const auto upkeep = session_upkeep({old_one, approval_on("a", kNow)},
                                     {wallet_session("a", std::chrono::hours(1)),
                                      wallet_session("plain", std::chrono::hours(1), /*xmtp=*/false), dapp},
                                     kNow);
  EXPECT_EQ(upkeep.extend, std::vector<std::string>{"a"});
  EXPECT_TRUE(upkeep.end.empty());
}

}  // namespace
}  // namespace keylink::keystore
