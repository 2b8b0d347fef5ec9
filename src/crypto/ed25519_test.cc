#include "keylink/crypto/ed25519.h"

#include <gtest/gtest.h>

#include "keylink/crypto/errors.h"
#include "testing/vectors.h"

namespace keylink::crypto {
namespace {

using testing::hex;
using testing::hex_array;
using testing::hex_secret;
using testing::load_vectors;

TEST(Ed25519, Rfc8032Vectors) {
  for (const auto& v : load_vectors("rfc8032_ed25519.txt")) {
    const auto pair = Ed25519KeyPair::from_seed(hex_secret<32>(v.at("seed")));
    EXPECT_EQ(to_hex(pair.public_key()), v.at("public"));
    const Bytes message = hex(v.at("message"));
    EXPECT_EQ(to_hex(pair.sign(message)), v.at("signature"));
    EXPECT_TRUE(ed25519_verify(pair.public_key(), message, hex_array<64>(v.at("signature"))));
  }
}

TEST(Ed25519, SeedRoundTrips) {
  FixedRng rng(3);
  const auto pair = Ed25519KeyPair::generate(rng);
  const auto again = Ed25519KeyPair::from_seed(pair.seed());
  EXPECT_EQ(again.public_key(), pair.public_key());
}

TEST(Ed25519, ChangedMessageIsABadSignature) {
  FixedRng rng(4);
  const auto pair = Ed25519KeyPair::generate(rng);
  const auto signature = pair.sign(to_bytes("pay 10"));
  auto verified = ed25519_verify(pair.public_key(), to_bytes("pay 99"), signature);
  ASSERT_FALSE(verified);
  EXPECT_EQ(verified.error().code, Errc::kBadSignature);
}

TEST(Ed25519, OtherKeyIsABadSignature) {
  FixedRng rng(5);
  const auto signer = Ed25519KeyPair::generate(rng);
  const auto other = Ed25519KeyPair::generate(rng);
  auto verified = ed25519_verify(other.public_key(), to_bytes("m"), signer.sign(to_bytes("m")));
  ASSERT_FALSE(verified);
  EXPECT_EQ(verified.error().code, Errc::kBadSignature);
}

TEST(Ed25519, SmallOrderPublicKeyIsRefused) {
  // The identity point (y = 1) verifies any signature with R = identity, S = 0 unless refused.
  Ed25519PublicKey identity{};
  identity[0] = 1;
  Ed25519Signature signature{};
  signature[0] = 1;
  auto verified = ed25519_verify(identity, to_bytes("anything"), signature);
  ASSERT_FALSE(verified);
  EXPECT_EQ(verified.error().code, Errc::kBadSignature);
}

}  // namespace
}  // namespace keylink::crypto
