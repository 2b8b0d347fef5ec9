// The link from end to end: light and full, the user saying no, the code's rules, and timeouts.
#include <gtest/gtest.h>

#include "keylink/link/errors.h"
#include "link_harness.h"

namespace keylink::link {
namespace {

using namespace std::chrono_literals;
using testing::all_of;
using testing::failure;
using testing::has;
using testing::Link;

void expect_linked(const Link& link, AccountKind kind) {
  EXPECT_EQ(failure(link.a_events), "");
  EXPECT_EQ(failure(link.b_events), "");
  auto asked = all_of<AskUser>(link.a_events);
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked[0]->device.name, "Pixel 8");
  EXPECT_EQ(asked[0]->device.platform, "android");
  EXPECT_EQ(asked[0]->caps, link.caps);
  auto installed = all_of<InstallAccount>(link.b_events);
  ASSERT_EQ(installed.size(), 1u);
  const AccountPayload expected = testing::make_account(kind);
  EXPECT_EQ(installed[0]->account.kind, kind);
  EXPECT_TRUE(installed[0]->account.identity_bundle == expected.identity_bundle);
  EXPECT_TRUE(installed[0]->account.conversation_keys == expected.conversation_keys);
  EXPECT_TRUE(installed[0]->account.installation_list == expected.installation_list);
  EXPECT_TRUE(installed[0]->account.device_group_key == expected.device_group_key);
  EXPECT_EQ(installed[0]->account.recovery_phrase.has_value(), kind == AccountKind::kFull);
  if (kind == AccountKind::kFull) {
    EXPECT_TRUE(*installed[0]->account.recovery_phrase == *expected.recovery_phrase);
  }
  auto added = all_of<AddInstallation>(link.a_events);
  ASSERT_EQ(added.size(), 1u);
  EXPECT_EQ(added[0]->record, to_bytes("record of B"));
  auto committed = all_of<Commit>(link.b_events);
  ASSERT_EQ(committed.size(), 1u);
  EXPECT_EQ(committed[0]->installation_list, to_bytes("installation list v2 + record of B"));
  EXPECT_EQ(all_of<Done>(link.a_events).size(), 1u);
  EXPECT_EQ(all_of<Done>(link.b_events).size(), 1u);
  EXPECT_EQ(link.b_history, link.history);
  EXPECT_TRUE(has<HistoryDone>(link.a_events));
  EXPECT_TRUE(has<HistoryDone>(link.b_events));
  EXPECT_TRUE(link.initiator->finished());
  EXPECT_TRUE(link.joiner->finished());
  EXPECT_EQ(link.initiator->unopened_messages(), 0u);
  EXPECT_EQ(link.joiner->unopened_messages(), 0u);
}

TEST(LinkTest, LinksLight) {
  Link link;
  link.start();
  expect_linked(link, AccountKind::kLight);
}

TEST(LinkTest, LinksFull) {
  Link link;
  link.kind = AccountKind::kFull;
  link.start();
  expect_linked(link, AccountKind::kFull);
}

TEST(LinkTest, ProgressOnBothSides) {
  Link link;
  link.start();
  auto a = all_of<Progress>(link.a_events);
  auto b = all_of<Progress>(link.b_events);
  ASSERT_EQ(a.size(), 4u);  // 0 of 3, then each acknowledgment
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(a.back()->done, 3u);
  EXPECT_EQ(a.back()->total, 3u);
  EXPECT_EQ(b.back()->done, 3u);
}

TEST(LinkTest, ALightOnlyDeviceCannotBeSentTheFullAccount) {
  Link link;
  link.caps = Capabilities::kLight;
  link.start();
  expect_linked(link, AccountKind::kLight);
  EXPECT_EQ(link.joiner->uri().to_string().find("full"), std::string::npos);
}

TEST(LinkTest, TheUserSaysNo) {
  Link link;
  link.user_says_yes = false;
  link.start();
  EXPECT_NE(failure(link.a_events).find("you refused"), std::string::npos);
  EXPECT_NE(failure(link.b_events).find("refused the link"), std::string::npos);
  EXPECT_FALSE(has<InstallAccount>(link.b_events));
  EXPECT_FALSE(has<Commit>(link.b_events));
  EXPECT_FALSE(has<AddInstallation>(link.a_events));
}

TEST(LinkTest, AWrongCodeIsRefusedAndBurnsTheCode) {
  Link link;
  link.make_code();
  const std::string right(link.code.text());
  const std::string wrong = right == "000000" ? "000001" : "000000";
  auto refused = link.read_uri(link.show_uri(wrong));
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->code, Errc::kWrongCode);
  EXPECT_TRUE(link.code.used);
  // The right code does not work after one wrong try.
  auto again = link.read_uri(link.show_uri(right));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->code, Errc::kCodeUsed);
}

TEST(LinkTest, AReusedCodeIsRefused) {
  Link link;
  link.start();
  auto again = link.read_uri(link.show_uri(link.code.text()));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->code, Errc::kCodeUsed);
}

TEST(LinkTest, AnExpiredCodeIsRefused) {
  Link link;
  link.make_code();
  link.clock.advance(301s);
  auto refused = link.read_uri(link.show_uri(link.code.text()));
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->code, Errc::kExpired);
}

TEST(LinkTest, AnExpiredUriIsRefused) {
  Link link;
  link.make_code();
  const std::string uri = link.show_uri(link.code.text());
  link.code.made_at += 300s;  // a code still fresh when the URI is not
  link.clock.advance(300s);
  auto refused = link.read_uri(uri);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->code, Errc::kExpired);
  EXPECT_EQ(refused->message, "link URI expired; make a new one on the new device");
}

TEST(LinkTest, TheJoinerTimesOutWhenNobodyAnswers) {
  Link link;
  link.make_code();
  link.show_uri(link.code.text());
  ASSERT_TRUE(link.joiner->next_deadline());
  EXPECT_EQ(*link.joiner->next_deadline(), link.now() + 300s);
  link.absorb_b(link.joiner->on_timer(link.now() + 299s));
  EXPECT_EQ(failure(link.b_events), "");
  link.clock.advance(300s);
  link.absorb_b(link.joiner->on_timer(link.now()));
  EXPECT_NE(failure(link.b_events).find("link URI expired"), std::string::npos);
  EXPECT_TRUE(link.joiner->finished());
  EXPECT_FALSE(link.joiner->next_deadline());
}

TEST(LinkTest, TheInitiatorTimesOutWhileTheUserThinks) {
  Link link;
  link.answer_user = false;
  link.start();
  ASSERT_TRUE(has<AskUser>(link.a_events));
  link.clock.advance(300s);
  link.absorb_a(link.initiator->on_timer(link.now()));
  EXPECT_NE(failure(link.a_events).find("timed out waiting for your answer"), std::string::npos);
  // A late yes does nothing: the link is over.
  EXPECT_TRUE(link.initiator->on_user_accepted(testing::make_account(AccountKind::kLight), link.now()).empty());
  link.absorb_b(link.joiner->on_timer(link.now()));
  EXPECT_NE(failure(link.b_events).find("timed out"), std::string::npos);
  EXPECT_FALSE(has<InstallAccount>(link.b_events));
}

TEST(LinkTest, TheHistoryTimesOutWhenAStops) {
  Link link;
  link.answer_history = false;
  link.start();
  EXPECT_TRUE(has<Done>(link.b_events));
  link.clock.advance(60s);
  link.absorb_b(link.joiner->on_timer(link.now()));
  EXPECT_NE(failure(link.b_events).find("history (0 of 0 chunks)"), std::string::npos);
  link.absorb_a(link.initiator->on_timer(link.now()));
  EXPECT_NE(failure(link.a_events).find("acknowledge the history"), std::string::npos);
}

TEST(LinkTest, AnEmptyHistoryIsOneEmptyChunk) {
  Link link;
  link.history = {Bytes{}};
  link.start();
  expect_linked(link, AccountKind::kLight);
}

TEST(LinkTest, SameSeedsGiveTheSameMessages) {
  Link first;
  first.start();
  Link second;
  second.start();
  ASSERT_EQ(first.log.size(), second.log.size());
  for (std::size_t i = 0; i < first.log.size(); ++i) EXPECT_EQ(first.log[i].message, second.log[i].message);
}

}  // namespace
}  // namespace keylink::link
