// The key schedule and the frame: each transcript input changes the channel; a frame opens only under
// its own channel, direction and header.
#include "channel.h"

#include <gtest/gtest.h>

#include "keylink/base/rng.h"

namespace keylink::link::detail {
namespace {

struct Pair {
  std::optional<Channel> a;
  std::optional<Channel> b;
};

// A and B, each deriving the channel from the fields it believes in.
Pair make_pair(std::string_view a_code, std::string_view b_code, Capabilities a_caps, Capabilities b_caps) {
  FixedRng rng(5);
  const LinkTopic topic = rng.bytes<32>();
  auto a_key = crypto::X25519KeyPair::generate(rng);
  auto b_key = crypto::X25519KeyPair::generate(rng);
  auto a_keys = derive_keys(a_key.private_key, b_key.public_key,
                            transcript(topic, b_key.public_key, a_key.public_key, a_code, a_caps));
  auto b_keys = derive_keys(b_key.private_key, a_key.public_key,
                            transcript(topic, b_key.public_key, a_key.public_key, b_code, b_caps));
  EXPECT_TRUE(a_keys && b_keys);
  Pair pair;
  std::string a_reply = a_keys->reply_topic;
  std::string b_reply = b_keys->reply_topic;
  pair.a.emplace(std::move(*a_keys), Direction::kToJoiner, topic_text(topic), a_reply);
  pair.b.emplace(std::move(*b_keys), Direction::kToInitiator, b_reply, topic_text(topic));
  return pair;
}

TEST(ChannelTest, BothSidesDeriveTheSameChannel) {
  Pair pair = make_pair("123456", "123456", Capabilities::kLightAndFull, Capabilities::kLightAndFull);
  EXPECT_EQ(pair.a->receive_topic(), pair.b->send_topic());
  const Bytes sealed = pair.a->seal(MessageType::kAccount, as_bytes("account"));
  auto received = pair.b->receive(sealed);
  ASSERT_EQ(received.arrival, Arrival::kInOrder);
  EXPECT_EQ(as_chars(received.body.expose()), "account");
  EXPECT_EQ(pair.b->receive(sealed).arrival, Arrival::kDuplicate);
  const Bytes back = pair.b->seal(MessageType::kInstalled, as_bytes("record"));
  EXPECT_EQ(pair.a->receive(back).arrival, Arrival::kInOrder);
}

TEST(ChannelTest, AnotherCodeOrCapabilityGivesAnotherChannel) {
  for (auto [a_code, a_caps] :
       {std::pair{"654321", Capabilities::kLightAndFull}, std::pair{"123456", Capabilities::kLight}}) {
    Pair pair = make_pair(a_code, "123456", a_caps, Capabilities::kLightAndFull);
    EXPECT_NE(pair.a->receive_topic(), pair.b->send_topic());
    EXPECT_EQ(pair.b->receive(pair.a->seal(MessageType::kAccount, as_bytes("account"))).arrival, Arrival::kUnopened);
    EXPECT_EQ(pair.a->receive(pair.b->seal(MessageType::kInstalled, as_bytes("r"))).arrival, Arrival::kUnopened);
  }
}

TEST(ChannelTest, AGapIsReportedNotAccepted) {
  Pair pair = make_pair("123456", "123456", Capabilities::kLight, Capabilities::kLight);
  pair.a->seal(MessageType::kAccount, as_bytes("lost"));
  auto received = pair.b->receive(pair.a->seal(MessageType::kWelcome, as_bytes("list")));
  EXPECT_EQ(received.arrival, Arrival::kAhead);
  EXPECT_EQ(received.frame.seq, 1u);
}

TEST(ChannelTest, OwnMessagesDoNotOpen) {
  Pair pair = make_pair("123456", "123456", Capabilities::kLight, Capabilities::kLight);
  EXPECT_EQ(pair.a->receive(pair.a->seal(MessageType::kAccount, as_bytes("x"))).arrival, Arrival::kUnopened);
}

TEST(ChannelTest, FramesAreChecked) {
  EXPECT_FALSE(parse_frame({}));
  const std::uint8_t unknown_type[26] = {1, 11};
  EXPECT_FALSE(parse_frame(unknown_type));
  const std::uint8_t bad_version[26] = {2, 2};
  EXPECT_FALSE(parse_frame(bad_version));
  const std::uint8_t no_tag[25] = {1, 2};
  EXPECT_FALSE(parse_frame(no_tag));
  const std::uint8_t ok[26] = {1, 2};
  EXPECT_TRUE(parse_frame(ok));
  // A chunk whose last flag disagrees with its index and total.
  std::uint8_t chunk[10 + 13 + 16] = {1, 8};
  chunk[17] = 2;  // total 2, index 0
  chunk[22] = 1;  // last
  EXPECT_FALSE(parse_frame(chunk));
  chunk[22] = 0;
  EXPECT_TRUE(parse_frame(chunk));
}

}  // namespace
}  // namespace keylink::link::detail
