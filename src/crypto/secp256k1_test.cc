#include "keylink/crypto/secp256k1.h"

#include <gtest/gtest.h>

#include "keylink/crypto/errors.h"
#include "testing/vectors.h"

namespace keylink::crypto {
namespace {

using testing::hex;
using testing::hex_secret;
using testing::load_vectors;

// The group order n of secp256k1 (SEC 2 v2 section 2.4.1).
constexpr const char* kOrder = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";

Secp256k1PrivateKey key_of(std::uint64_t seed) {
  FixedRng rng(seed);
  return Secp256k1PrivateKey::generate(rng);
}

TEST(Secp256k1, PublicKeysOfKnownPrivateKeys) {
  for (const auto& v : load_vectors("secp256k1_keys.txt")) {
    if (!v.contains("public")) continue;
    auto key = Secp256k1PrivateKey::from_bytes(hex_secret<32>(v.at("private")));
    ASSERT_TRUE(key) << key.error().message;
    EXPECT_EQ(to_hex(key->public_key()), v.at("public"));
  }
}

TEST(Secp256k1, ZeroAndOrderAreBadKeys) {
  for (const char* bytes : {"0000000000000000000000000000000000000000000000000000000000000000", kOrder,
                            "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"}) {
    auto key = Secp256k1PrivateKey::from_bytes(hex_secret<32>(bytes));
    ASSERT_FALSE(key) << bytes;
    EXPECT_EQ(key.error().code, Errc::kBadKey);
  }
}

TEST(Secp256k1, SignRecoverRoundTrip) {
  const auto key = key_of(8);
  const Digest32 digest = sha256(to_bytes("message"));
  const RecoverableSignature signature = key.sign_recoverable(digest);
  auto recovered = secp256k1_recover(digest, signature);
  ASSERT_TRUE(recovered) << recovered.error().message;
  EXPECT_EQ(*recovered, key.public_key());
  EXPECT_TRUE(secp256k1_verify(key.public_key(), digest, signature.compact));
}

TEST(Secp256k1, SigningIsDeterministic) {
  const auto key = key_of(9);
  const Digest32 digest = sha256(to_bytes("same"));
  EXPECT_EQ(key.sign_recoverable(digest).compact, key.sign_recoverable(digest).compact);
}

TEST(Secp256k1, VerifyRejectsChangedDigestAndHighS) {
  const auto key = key_of(10);
  const Digest32 digest = sha256(to_bytes("m"));
  CompactSignature signature = key.sign_recoverable(digest).compact;
  auto changed = secp256k1_verify(key.public_key(), sha256(to_bytes("n")), signature);
  ASSERT_FALSE(changed);
  EXPECT_EQ(changed.error().code, Errc::kBadSignature);

  // s' = n - s is the same signature with a high S.
  const Bytes order = hex(kOrder);
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    const int diff = order[static_cast<size_t>(i)] - signature[static_cast<size_t>(32 + i)] - borrow;
    signature[static_cast<size_t>(32 + i)] = static_cast<std::uint8_t>(diff & 0xff);
    borrow = diff < 0 ? 1 : 0;
  }
  auto high = secp256k1_verify(key.public_key(), digest, signature);
  ASSERT_FALSE(high);
  EXPECT_EQ(high.error().code, Errc::kBadSignature);
  EXPECT_NE(high.error().message.find("high S"), std::string::npos);
}

TEST(Secp256k1, RecoverRejectsBadRecoveryIdAndZeroSignature) {
  const Digest32 digest = sha256(to_bytes("m"));
  RecoverableSignature zero;
  auto recovered = secp256k1_recover(digest, zero);
  ASSERT_FALSE(recovered);
  EXPECT_EQ(recovered.error().code, Errc::kBadSignature);
  RecoverableSignature signature = key_of(11).sign_recoverable(digest);
  signature.recovery_id = 4;
  EXPECT_FALSE(secp256k1_recover(digest, signature));
}

TEST(Secp256k1, EcdhIsSymmetricInBothForms) {
  const auto a = key_of(12);
  const auto b = key_of(13);
  auto ab = a.ecdh_point(b.public_key());
  auto ba = b.ecdh_point(a.public_key());
  ASSERT_TRUE(ab && ba);
  EXPECT_TRUE(*ab == *ba);
  EXPECT_EQ(ab->expose()[0], 0x04);
  auto ab_x = a.ecdh_x(b.public_key());
  auto ba_x = b.ecdh_x(a.public_key());
  ASSERT_TRUE(ab_x && ba_x);
  EXPECT_TRUE(*ab_x == *ba_x);
  // The X form is the X coordinate of the point form.
  EXPECT_EQ(to_hex(ab_x->expose()), to_hex(ab->expose().subspan(1, 32)));
}

TEST(Secp256k1, EcdhRejectsAPointOffTheCurve) {
  Secp256k1PublicKey off_curve{};
  off_curve[0] = 0x04;
  off_curve[64] = 0x07;
  auto shared = key_of(14).ecdh_point(off_curve);
  ASSERT_FALSE(shared);
  EXPECT_EQ(shared.error().code, Errc::kBadKey);
}

TEST(Secp256k1, ParsesCompressedAndUncompressedKeys) {
  const auto key = key_of(15);
  const Secp256k1PublicKey& full = key.public_key();
  Bytes compressed(full.begin(), full.begin() + 33);
  compressed[0] = (full[64] & 1) ? 0x03 : 0x02;
  auto from_compressed = secp256k1_parse_public_key(compressed);
  ASSERT_TRUE(from_compressed) << from_compressed.error().message;
  EXPECT_EQ(*from_compressed, full);
  EXPECT_TRUE(secp256k1_parse_public_key(full));
  Bytes hybrid(full.begin(), full.end());
  hybrid[0] = (full[64] & 1) ? 0x07 : 0x06;
  for (const Bytes& bad : {Bytes{}, Bytes(64, 4), hybrid, Bytes(compressed.begin(), compressed.end() - 1)}) {
    auto parsed = secp256k1_parse_public_key(bad);
    ASSERT_FALSE(parsed) << to_hex(bad);
    EXPECT_EQ(parsed.error().code, Errc::kBadKey);
  }
}

}  // namespace
}  // namespace keylink::crypto
