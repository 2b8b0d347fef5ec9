#include "keylink/keystore/app_request.h"

#include <gtest/gtest.h>

#include "keylink/base/encoding.h"
#include "keylink/crypto/errors.h"
#include "keylink/wire/errors.h"

namespace keylink::keystore {
namespace {

constexpr std::string_view kTopic = "7a4f0a3e2c1b5d6e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e";

crypto::Ed25519KeyPair app_key(std::uint8_t fill) {
  Secret<32> seed;
  std::fill(seed.expose_mutable().begin(), seed.expose_mutable().end(), fill);
  return crypto::Ed25519KeyPair::from_seed(seed);
}

TEST(AppRequest, SignedParamsVerifyForTheirChannelMethodAndRequestOnly) {
  const auto key = app_key(1);
  const Bytes req = {1, 2, 3};
  auto parsed = parse_app_request(app_request_params(key, kTopic, "xmtp_decryptV2", req, 7));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->req, req);
  EXPECT_EQ(parsed->counter, 7u);
  EXPECT_TRUE(verify_app_request(key.public_key(), kTopic, "xmtp_decryptV2", *parsed));

  auto other = *parsed;
  EXPECT_EQ(verify_app_request(key.public_key(), kTopic, "xmtp_encryptV2", other).error().code,
            crypto::Errc::kBadSignature);
  EXPECT_FALSE(verify_app_request(key.public_key(), "local:1", "xmtp_decryptV2", other));
  EXPECT_FALSE(verify_app_request(app_key(2).public_key(), kTopic, "xmtp_decryptV2", other));
  other.counter = 8;
  EXPECT_FALSE(verify_app_request(key.public_key(), kTopic, "xmtp_decryptV2", other));
  other = *parsed;
  other.req.push_back(4);
  EXPECT_FALSE(verify_app_request(key.public_key(), kTopic, "xmtp_decryptV2", other));
}

TEST(AppRequest, AMethodWithoutRequestSendsNoReq) {
  const auto params = app_request_params(app_key(1), kTopic, "xmtp_getPublicKeyBundle", {}, 1);
  EXPECT_FALSE(params.contains("req"));
  auto parsed = parse_app_request(params);
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(parsed->req.empty());
  EXPECT_TRUE(verify_app_request(app_key(1).public_key(), kTopic, "xmtp_getPublicKeyBundle", *parsed));
}

// The signed bytes are the spec's (docs/keystore.md), byte for byte: an app in another language signs
// these.
TEST(AppRequest, SignedBytesAreTheDocumentedLayout) {
  const Bytes bytes = app_request_signed_bytes("ab", "m", {}, 0x0102);
  const std::string expected_hex =
      to_hex(Bytes(kRequestDomain.begin(), kRequestDomain.end())) + "00" + "00000002" + "6162" + "00000001" + "6d" +
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" + "0000000000000102";
  EXPECT_EQ(to_hex(bytes), expected_hex);
}

TEST(AppRequest, MalformedParamsSayWhichFieldIsWrong) {
  const auto good = app_request_params(app_key(1), kTopic, "xmtp_decryptV2", Bytes{1}, 1);
  const auto with = [&](const char* field, wire::Json value) {
    auto params = good;
    if (value.is_discarded()) {
      params.erase(field);
    } else {
      params[field] = std::move(value);
    }
    return parse_app_request(params);
  };
  EXPECT_EQ(parse_app_request(wire::Json::array()).error().code, wire::Errc::kMalformed);
  EXPECT_NE(with("req", 5).error().message.find("req"), std::string::npos);
  EXPECT_NE(with("req", "***").error().message.find("base64"), std::string::npos);
  EXPECT_NE(with("appCounter", 0).error().message.find("appCounter"), std::string::npos);
  EXPECT_FALSE(with("appCounter", -1));
  EXPECT_FALSE(with("appCounter", 1.5));
  EXPECT_FALSE(with("appCounter", kMaxAppCounter + 1));
  EXPECT_FALSE(with("appCounter", wire::Json(wire::Json::value_t::discarded)));
  EXPECT_FALSE(with("appSig", to_base64(Bytes(63, 0))));
  EXPECT_FALSE(with("appSig", wire::Json(wire::Json::value_t::discarded)));
}

}  // namespace
}  // namespace keylink::keystore
