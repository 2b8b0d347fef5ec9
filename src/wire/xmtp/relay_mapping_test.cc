// The XMTP <-> relay mapping against values computed outside this code base (Python's hashlib and
// base64 over a hand-encoded protobuf).
#include "keylink/wire/xmtp/relay_mapping.h"

#include <gtest/gtest.h>

#include "keylink/base/encoding.h"
#include "keylink/wire/errors.h"

namespace keylink::wire::xmtp {
namespace {

const std::string kTopic = "/xmtp/0/m-0123456789abcdef/proto";
// Envelope{content_topic=kTopic, timestamp_ns=1700000000123456789, message=01 02 03}, encoded by hand.
const std::string kPayload = "CiAveG10cC8wL20tMDEyMzQ1Njc4OWFiY2RlZi9wcm90bxCVmpfs45/nyxcaAwECAw==";

Envelope sample() { return Envelope{kTopic, 1'700'000'000'123'456'789, Bytes{1, 2, 3}}; }

TEST(XmtpRelayMapping, TopicIsLowercaseHexSha256) {
  EXPECT_EQ(relay_topic(kTopic), "7f05ce9ff0afecd789ba10ba5fcf4bd5e62474c5e4dca60d011f47f71130f122");
  EXPECT_EQ(relay_topic(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(XmtpRelayMapping, PayloadIsPaddedBase64OfTheEnvelope) {
  EXPECT_EQ(relay_payload(sample()), kPayload);
  auto decoded = decode_relay_payload(kPayload);
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(decoded->content_topic, kTopic);
  EXPECT_EQ(decoded->timestamp_ns, 1'700'000'000'123'456'789u);
  EXPECT_EQ(decoded->message, (Bytes{1, 2, 3}));
}

TEST(XmtpRelayMapping, ConstantsAreDocumentedValues) {
  EXPECT_EQ(kXmtpTtlSeconds, 2'592'000);
  EXPECT_TRUE(kXmtpRelayTag < 1100 || kXmtpRelayTag > 1121);
  EXPECT_GE(kMaxRelayPayloadSize / 4 * 3, kMaxEnvelopeSize);
}

TEST(XmtpRelayMapping, RefusesTextThatIsNotBase64) {
  for (const std::string_view text :
       {"not base64!", "CiA", "CiAveG10cC8wL20tMDEyMzQ1Njc4OWFiY2RlZi9wcm90bxCVmpfs45/nyxcaAwECAw",
        "CiAveG10cC8wL20tMDEyMzQ1Njc4OWFiY2RlZi9wcm90bxCVmpfs45_nyxcaAwECAw=="}) {
    auto decoded = decode_relay_payload(text);
    ASSERT_FALSE(decoded) << std::string(text);
    EXPECT_EQ(decoded.error().code, Errc::kMalformed);
    EXPECT_NE(decoded.error().message.find("not standard padded base64"), std::string::npos) << decoded.error().message;
  }
}

TEST(XmtpRelayMapping, RefusesBytesThatAreNotAnEnvelope) {
  // Valid base64 of garbage, and of an Envelope without a content topic.
  for (const Bytes& bytes : {Bytes{0xff, 0xff, 0xff}, Bytes{0x10, 0x01}, Bytes{}}) {
    auto decoded = decode_relay_payload(to_base64(bytes));
    ASSERT_FALSE(decoded);
    EXPECT_EQ(decoded.error().code, Errc::kMalformed);
    EXPECT_NE(decoded.error().message.find("not an XMTP Envelope"), std::string::npos) << decoded.error().message;
  }
}

TEST(XmtpRelayMapping, RefusesOversizedTextBeforeDecoding) {
  auto decoded = decode_relay_payload(std::string(kMaxRelayPayloadSize + 4, 'A'));
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().code, Errc::kTooLarge);
  EXPECT_NE(decoded.error().message.find("limit"), std::string::npos) << decoded.error().message;
}

TEST(XmtpRelayMapping, LargestEnvelopeRoundTrips) {
  Envelope big = sample();
  big.message.assign(kMaxEnvelopeSize - 64, 0x5a);
  const std::string text = relay_payload(big);
  EXPECT_LE(text.size(), kMaxRelayPayloadSize);
  auto decoded = decode_relay_payload(text);
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(decoded->message, big.message);
}

}  // namespace
}  // namespace keylink::wire::xmtp
