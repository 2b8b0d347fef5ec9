#include "relay/cluster_codec.h"

#include <gtest/gtest.h>

#include "keylink/relay/errors.h"

namespace keylink::relay::cluster {
namespace {

JournaledMessage sample() {
  JournaledMessage journaled{StoredMessage{.topic = "topic",
                                           .message = std::string("bytes\0with a nul", 16),
                                           .tag = -1108,
                                           .published_at_ms = 1'700'000'000'000,
                                           .expires_at_ms = 1'700'000'300'000,
                                           .seq = 99},
                             "did:key:z6Mk"};
  journaled.prompt = true;
  return journaled;
}

TEST(ClusterCodec, AMessageComesBackAsItWentWithoutItsSeq) {
  const auto decoded = decode_message(encode_message(sample()));
  ASSERT_TRUE(decoded) << decoded.error().message;
  const StoredMessage& message = decoded->message;
  EXPECT_EQ(message.topic, "topic");
  EXPECT_EQ(message.message, sample().message.message);
  EXPECT_EQ(message.tag, -1108);
  EXPECT_EQ(message.published_at_ms, 1'700'000'000'000);
  EXPECT_EQ(message.expires_at_ms, 1'700'000'300'000);
  EXPECT_EQ(message.seq, 0u);  // the stream's, given on arrival
  EXPECT_EQ(decoded->publisher, "did:key:z6Mk");
  EXPECT_TRUE(decoded->prompt);
}

TEST(ClusterCodec, AcksComeBackAsTheyWent) {
  const std::vector<StoredAck> acks{{"did:key:z6Mk", 42, "topic"}, {"did:key:other", 7, std::string(300, 't')}};
  const auto decoded = decode_acks(encode_acks(acks));
  ASSERT_TRUE(decoded) << decoded.error().message;
  ASSERT_EQ(decoded->size(), 2u);
  for (std::size_t i = 0; i < acks.size(); ++i) {
    EXPECT_EQ((*decoded)[i].client_id, acks[i].client_id);
    EXPECT_EQ((*decoded)[i].seq, acks[i].seq);
    EXPECT_EQ((*decoded)[i].topic, acks[i].topic);
  }
  const auto none = decode_acks(encode_acks({}));
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TEST(ClusterCodec, EveryTruncationAndExtensionIsRefused) {
  const std::string message = encode_message(sample());
  const std::vector<StoredAck> two{{"did:key:z6Mk", 42, "topic"}, {"did:key:other", 7, "topic"}};
  const std::string ack = encode_acks(two);
  for (std::size_t size = 0; size < message.size(); ++size) {
    EXPECT_FALSE(decode_message(message.substr(0, size))) << size;
  }
  for (std::size_t size = 0; size < ack.size(); ++size) EXPECT_FALSE(decode_acks(ack.substr(0, size))) << size;
  EXPECT_FALSE(decode_message(message + "x"));
  EXPECT_FALSE(decode_acks(ack + "x"));
  // A count the bytes cannot hold, refused before anything is made for it.
  std::string many = ack;
  many[1] = many[2] = many[3] = many[4] = '\xff';
  EXPECT_FALSE(decode_acks(many));
  std::string other_version = message;
  other_version[0] = 2;
  EXPECT_FALSE(decode_message(other_version));
  std::string unknown_flag = message;
  unknown_flag.back() = 2;
  EXPECT_FALSE(decode_message(unknown_flag));
  // A length past the end, however large.
  std::string huge = message;
  huge[1] = huge[2] = huge[3] = huge[4] = '\xff';
  const auto refused = decode_message(huge);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, make_error_code(relay::Errc::kCluster));
}

}  // namespace
}  // namespace keylink::relay::cluster
