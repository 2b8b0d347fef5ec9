#include "keylink/crypto/hash.h"

#include <gtest/gtest.h>

#include "keylink/crypto/errors.h"
#include "testing/vectors.h"

namespace keylink::crypto {
namespace {

using testing::hex;
using testing::load_vectors;

// Values in vector files are hex, or ASCII after a "text:" prefix.
Bytes data_of(const std::string& value) {
  if (value.starts_with("text:")) return to_bytes(std::string_view(value).substr(5));
  return hex(value);
}

TEST(Hash, Fips180Vectors) {
  for (const auto& v : load_vectors("fips180_sha.txt")) {
    const Bytes input = to_bytes(v.at("text"));
    if (v.at("algorithm") == "sha256") {
      EXPECT_EQ(to_hex(sha256(input)), v.at("digest")) << v.at("text");
    } else {
      EXPECT_EQ(to_hex(sha512(input)), v.at("digest")) << v.at("text");
    }
  }
}

TEST(Hash, Keccak256Vectors) {
  for (const auto& v : load_vectors("keccak256.txt")) {
    EXPECT_EQ(to_hex(keccak256(to_bytes(v.at("text")))), v.at("digest")) << v.at("text");
  }
}

TEST(Hash, Keccak256IsNotSha3) {
  // FIPS 202 SHA3-256("") begins a7ffc6f8; Ethereum's Keccak-256 must not.
  EXPECT_NE(to_hex(keccak256({})).substr(0, 8), "a7ffc6f8");
}

TEST(Hash, Rfc4231HmacSha256) {
  for (const auto& v : load_vectors("rfc4231_hmac_sha256.txt")) {
    const std::string mac = to_hex(hmac_sha256(hex(v.at("key")), data_of(v.at("data"))));
    // Test case 5 publishes a truncated MAC: compare as many digits as it gives.
    EXPECT_EQ(mac.substr(0, v.at("mac").size()), v.at("mac")) << v.at("key");
  }
}

TEST(Hkdf, Rfc5869Vectors) {
  for (const auto& v : load_vectors("rfc5869_hkdf.txt")) {
    auto okm = hkdf_sha256(hex(v.at("ikm")), hex(v.at("salt")), hex(v.at("info")), std::stoul(v.at("length")));
    ASSERT_TRUE(okm) << okm.error().message;
    EXPECT_EQ(to_hex(okm->expose()), v.at("okm"));
  }
}

TEST(Hkdf, EmptySaltEqualsThirtyTwoZeroBytes) {
  const Bytes ikm = to_bytes("input keying material");
  const Bytes zeros(32, 0);
  EXPECT_TRUE(hkdf_sha256_32(ikm) == hkdf_sha256_32(ikm, zeros));
}

TEST(Hkdf, Fixed32MatchesGeneralForm) {
  const Bytes ikm = to_bytes("ikm"), salt = to_bytes("salt"), info = to_bytes("info");
  auto general = hkdf_sha256(ikm, salt, info, 32);
  ASSERT_TRUE(general);
  EXPECT_EQ(to_hex(hkdf_sha256_32(ikm, salt, info).expose()), to_hex(general->expose()));
}

TEST(Hkdf, RejectsLengthsOutsideTheRfcBound) {
  for (size_t length : {size_t{0}, kMaxHkdfLength + 1}) {
    auto okm = hkdf_sha256(to_bytes("ikm"), {}, {}, length);
    ASSERT_FALSE(okm) << length;
    EXPECT_EQ(okm.error().code, Errc::kTooLarge);
  }
  EXPECT_TRUE(hkdf_sha256(to_bytes("ikm"), {}, {}, kMaxHkdfLength));
}

}  // namespace
}  // namespace keylink::crypto
