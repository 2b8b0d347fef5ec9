#include "keylink/wire/xmtp/topics.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace keylink::wire::xmtp {
namespace {

crypto::EthAddress address(std::string_view text) { return crypto::EthAddress::parse(text).value(); }

// Both written by viem's getAddress; byte order and string order disagree on them.
constexpr std::string_view kUpper = "0xF8bf18acA3218E3Beb6c65D6adbe47B6F9e9805b";
constexpr std::string_view kLower = "0xa6cfb4482F97ec2b7bC56450C46938BC21414FA2";

TEST(XmtpTopics, UserTopicsCarryTheEip55Address) {
  const auto wallet = address("0xf8bf18aca3218e3beb6c65d6adbe47b6f9e9805b");
  EXPECT_EQ(contact_topic(wallet), "/xmtp/0/contact-0xF8bf18acA3218E3Beb6c65D6adbe47B6F9e9805b/proto");
  EXPECT_EQ(intro_topic(wallet), "/xmtp/0/intro-0xF8bf18acA3218E3Beb6c65D6adbe47B6F9e9805b/proto");
  EXPECT_EQ(invite_topic(wallet), "/xmtp/0/invite-0xF8bf18acA3218E3Beb6c65D6adbe47B6F9e9805b/proto");
  EXPECT_EQ(private_store_topic(wallet),
            "/xmtp/0/privatestore-0xF8bf18acA3218E3Beb6c65D6adbe47B6F9e9805b/key_bundle/proto");
  EXPECT_EQ(user_preferences_topic("abc"), "/xmtp/0/userpreferences-abc/proto");
  EXPECT_EQ(v2_topic("0011"), "/xmtp/0/m-0011/proto");
}

// xmtp-js buildDirectMessageTopic(kLower, kUpper) gives this: strings sorted, 'F' before 'a'.
TEST(XmtpTopics, DmTopicSortsTheChecksummedStrings) {
  const std::string expected = "/xmtp/0/dm-" + std::string(kUpper) + "-" + std::string(kLower) + "/proto";
  EXPECT_EQ(dm_topic(address(kLower), address(kUpper)), expected);
  EXPECT_EQ(dm_topic(address(kUpper), address(kLower)), expected);
}

TEST(XmtpTopics, ParsesWhatItBuilds) {
  const auto wallet = address(kLower);
  const std::pair<std::string, TopicKind> cases[] = {
      {contact_topic(wallet), TopicKind::kContact},
      {intro_topic(wallet), TopicKind::kIntro},
      {invite_topic(wallet), TopicKind::kInvite},
      {private_store_topic(wallet), TopicKind::kPrivateStore},
  };
  for (const auto& [topic, kind] : cases) {
    auto parsed = parse_topic(topic);
    ASSERT_TRUE(parsed) << topic;
    EXPECT_EQ(parsed->kind, kind);
    EXPECT_EQ(parsed->id, kLower);
    EXPECT_TRUE(is_valid_topic(topic));
    EXPECT_FALSE(is_v2_topic(topic));
  }
  auto dm = parse_topic(dm_topic(wallet, address(kUpper)));
  ASSERT_TRUE(dm);
  EXPECT_EQ(dm->kind, TopicKind::kDirectMessageV1);
  auto v2 = parse_topic(v2_topic("abcd"));
  ASSERT_TRUE(v2);
  EXPECT_EQ(v2->kind, TopicKind::kMessageV2);
  EXPECT_EQ(v2->id, "abcd");
  EXPECT_TRUE(is_v2_topic("/xmtp/0/m-abcd/proto"));
  auto preferences = parse_topic(user_preferences_topic("xyz"));
  ASSERT_TRUE(preferences);
  EXPECT_EQ(preferences->kind, TopicKind::kUserPreferences);
  EXPECT_EQ(preferences->id, "xyz");
}

TEST(XmtpTopics, RefusesWhatXmtpJsWouldNotWrite) {
  const std::string lowercase = "0xa6cfb4482f97ec2b7bc56450c46938bc21414fa2";
  for (const std::string& topic : std::vector<std::string>{
           "/xmtp/0/contact-" + lowercase + "/proto",                                   // not EIP-55
           "/xmtp/0/contact-0x1234/proto",                                              // not an address
           "/xmtp/0/privatestore-" + std::string(kLower) + "/proto",                    // no /key_bundle
           "/xmtp/0/dm-" + std::string(kLower) + "-" + std::string(kUpper) + "/proto",  // unsorted
           "/xmtp/0/m-/proto",
           "/xmtp/1/m-ab/proto",
           "/xmtp/0/m-ab",
           "/xmtp/0/other-ab/proto",
           "",
       }) {
    EXPECT_FALSE(parse_topic(topic)) << topic;
  }
  EXPECT_FALSE(is_v2_topic("/xmtp/0/m-/proto"));
}

// isValidTopic's quirks, as JavaScript's substring gives them.
TEST(XmtpTopics, ValidTopicAsXmtpJs) {
  EXPECT_TRUE(is_valid_topic("/xmtp/0/m-abc/proto"));
  EXPECT_FALSE(is_valid_topic("/xmtp/0/m abc/proto"));
  EXPECT_FALSE(is_valid_topic("/xmtp/0/m-\xc3\xa9/proto"));
  EXPECT_FALSE(is_valid_topic("/xmtp/0//proto"));
  EXPECT_FALSE(is_valid_topic("no zero slash"));
  EXPECT_TRUE(is_valid_topic("/xmtp/0/m-abc"));  // substring(8, -1) is substring(0, 8): "/xmtp/0/"
}

}  // namespace
}  // namespace keylink::wire::xmtp
