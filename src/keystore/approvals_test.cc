#include "keylink/keystore/approvals.h"

#include <gtest/gtest.h>

#include "keylink/keystore/errors.h"
#include "policy_test_home.h"

namespace keylink::keystore {
namespace {

using namespace std::chrono_literals;
using testing::app_key;

const std::string kTopic(64, 'a');
const std::string kAccount = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94";

AppInfo app(std::uint8_t key, std::string url = "https://chat.example") {
  return {.name = "Chat",
          .url = std::move(url),
          .origin = std::string(kUnverifiedOrigin),
          .app_key = app_key(key).public_key()};
}

class ApprovalsTest : public ::testing::Test {
 protected:
  testing::PolicyHome home;
  Approvals approvals{home.db};

  Approval grant(std::uint8_t key = 1, std::string channel = kTopic, std::string url = "https://chat.example") {
    auto granted = approvals.grant(app(key, std::move(url)), {Scope::kRead, Scope::kSend}, std::move(channel), kAccount,
                                   home.rng, home.clock.now());
    EXPECT_TRUE(granted) << granted.error().message;
    return granted.value_or(Approval{});
  }
};

TEST_F(ApprovalsTest, AGrantIsKeptAndFoundByIdAndChannel) {
  const Approval granted = grant();
  EXPECT_EQ(granted.id.size(), 16u);
  EXPECT_EQ(granted.granted_at, home.clock.now());
  EXPECT_EQ(granted.expires_at, home.clock.now() + kApprovalLifetime);
  EXPECT_EQ(granted.expires_at - granted.granted_at, std::chrono::hours(720));

  Approvals reopened(home.db);
  auto found = reopened.find(granted.id);
  ASSERT_TRUE(found && *found);
  const Approval& a = **found;
  EXPECT_EQ(a.app_name, "Chat");
  EXPECT_EQ(a.app_url, "https://chat.example");
  EXPECT_EQ(a.origin, "unverified");
  EXPECT_EQ(a.app_key, app_key(1).public_key());
  EXPECT_EQ(a.scopes, (std::vector<Scope>{Scope::kRead, Scope::kSend}));
  EXPECT_EQ(a.channel, kTopic);
  EXPECT_EQ(a.account, kAccount);
  EXPECT_EQ(a.granted_at, granted.granted_at);
  EXPECT_EQ(a.expires_at, granted.expires_at);
  EXPECT_FALSE(a.revoked_at);
  EXPECT_FALSE(a.paused_until);
  EXPECT_TRUE(a.calls.empty());
  EXPECT_EQ(a.last_counter, 0u);
  EXPECT_TRUE(a.grants(Scope::kAny));
  EXPECT_FALSE(a.grants(Scope::kPush));

  auto by_channel = reopened.find_by_channel(kTopic);
  ASSERT_TRUE(by_channel && *by_channel);
  EXPECT_EQ((*by_channel)->id, granted.id);
  EXPECT_FALSE(reopened.find("0000000000000000").value());
  EXPECT_FALSE(reopened.find_by_channel("other").value());
}

TEST_F(ApprovalsTest, IdsAreRandomAndALocalApprovalsChannelIsItsId) {
  const Approval first = grant(1, "");
  const Approval second = grant(1, "");
  EXPECT_NE(first.id, second.id);
  EXPECT_EQ(first.channel, "local:" + first.id);
  ASSERT_TRUE(approvals.set_channel(first.id, kTopic));
  EXPECT_EQ(approvals.find_by_channel(kTopic).value()->id, first.id);
  EXPECT_EQ(approvals.set_channel("nope", kTopic).error().code, Errc::kUnknownApproval);
  auto all = approvals.list();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
}

TEST_F(ApprovalsTest, ExpiryIsThirtyDaysAbsoluteAndUseDoesNotExtendIt) {
  const Approval granted = grant();
  home.clock.advance(29 * 24h);
  ASSERT_TRUE(approvals.record_use(granted.id, "xmtp_decryptV2", 5, home.clock.now()));
  const Approval used = approvals.find(granted.id).value().value();
  EXPECT_EQ(used.expires_at, granted.expires_at);
  EXPECT_FALSE(used.expired(granted.granted_at + kApprovalLifetime - 1s));
  EXPECT_TRUE(used.expired(granted.granted_at + kApprovalLifetime));
  EXPECT_TRUE(used.expired(granted.granted_at + kApprovalLifetime + 1s));
}

TEST_F(ApprovalsTest, RecordUseCountsPerMethodAndRefusesACounterTakenAlready) {
  const Approval granted = grant();
  ASSERT_TRUE(approvals.record_use(granted.id, "xmtp_decryptV2", 5, home.clock.now()));
  home.clock.advance(10s);
  ASSERT_TRUE(approvals.record_use(granted.id, "xmtp_decryptV2", 9, home.clock.now()));
  ASSERT_TRUE(approvals.record_use(granted.id, "xmtp_encryptV2", 10, home.clock.now()));
  // A counter taken already (by this process or another serving the same home) changes nothing.
  EXPECT_EQ(approvals.record_use(granted.id, "xmtp_encryptV2", 10, home.clock.now()).error().code,
            Errc::kReplayedCounter);
  EXPECT_EQ(approvals.record_use(granted.id, "xmtp_decryptV2", 7, home.clock.now()).error().code,
            Errc::kReplayedCounter);
  const Approval used = approvals.find(granted.id).value().value();
  EXPECT_EQ(used.calls.at("xmtp_decryptV2"), 2u);
  EXPECT_EQ(used.calls.at("xmtp_encryptV2"), 1u);
  EXPECT_EQ(used.last_counter, 10u);
  EXPECT_EQ(used.last_used, home.clock.now());
  EXPECT_EQ(approvals.record_use("nope", "xmtp_decryptV2", 1, home.clock.now()).error().code, Errc::kUnknownApproval);
}

TEST_F(ApprovalsTest, RenewGivesThirtyDaysFromNowAndLiftsAPause) {
  const Approval granted = grant();
  home.clock.advance(31 * 24h);
  ASSERT_TRUE(approvals.pause(granted.id, home.clock.now() + 60s));
  auto renewed = approvals.renew(granted.id, home.clock.now());
  ASSERT_TRUE(renewed) << renewed.error().message;
  EXPECT_EQ(renewed->expires_at, home.clock.now() + kApprovalLifetime);
  EXPECT_FALSE(renewed->paused_until);
  const Approval stored = approvals.find(granted.id).value().value();
  EXPECT_EQ(stored.expires_at, renewed->expires_at);
  EXPECT_FALSE(stored.paused_until);
  EXPECT_FALSE(stored.expired(home.clock.now()));
  EXPECT_EQ(approvals.renew("nope", home.clock.now()).error().code, Errc::kUnknownApproval);
}

TEST_F(ApprovalsTest, RevokeIsFinal) {
  const Approval granted = grant();
  const TimePoint first = home.clock.now();
  ASSERT_TRUE(approvals.revoke(granted.id, first));
  home.clock.advance(1h);
  ASSERT_TRUE(approvals.revoke(granted.id, home.clock.now()));
  EXPECT_EQ(approvals.find(granted.id).value()->revoked_at, first);
  auto renewed = approvals.renew(granted.id, home.clock.now());
  ASSERT_FALSE(renewed);
  EXPECT_EQ(renewed.error().code, Errc::kApprovalRevoked);
  EXPECT_EQ(approvals.revoke("nope", first).error().code, Errc::kUnknownApproval);
}

TEST_F(ApprovalsTest, LookalikesAreOtherKeysClaimingTheSameUrl) {
  const Approval original = grant(1, kTopic, "https://chat.example");
  const Approval other_site = grant(2, std::string(64, 'b'), "https://other.example");
  auto none = approvals.lookalikes("https://chat.example", app_key(1).public_key());
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  auto warned = approvals.lookalikes("https://chat.example", app_key(9).public_key());
  ASSERT_TRUE(warned);
  ASSERT_EQ(warned->size(), 1u);
  EXPECT_EQ(warned->front().id, original.id);
  ASSERT_TRUE(approvals.revoke(original.id, home.clock.now()));
  EXPECT_TRUE(approvals.lookalikes("https://chat.example", app_key(9).public_key()).value().empty());
  EXPECT_EQ(other_site.app_url, "https://other.example");
}

TEST_F(ApprovalsTest, StatusSaysWhatTheGateWouldDo) {
  const Approval granted = grant();
  const TimePoint now = home.clock.now();
  EXPECT_EQ(approval_status(granted, now), "active");
  EXPECT_EQ(approval_status(granted, granted.expires_at), "expired");
  Approval paused = granted;
  paused.paused_until = now + 60s;
  EXPECT_EQ(approval_status(paused, now), "paused");
  EXPECT_EQ(approval_status(paused, now + 60s), "active");
  paused.revoked_at = now;
  EXPECT_EQ(approval_status(paused, now), "revoked");
}

TEST(IsoTime, IsUtcToTheSecond) {
  EXPECT_EQ(iso_time(TimePoint(std::chrono::seconds(1'700'000'000))), "2023-11-14T22:13:20Z");
}

}  // namespace
}  // namespace keylink::keystore
