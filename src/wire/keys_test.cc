#include "keylink/wire/keys.h"

#include <gtest/gtest.h>

#include "keylink/base/encoding.h"
#include "keylink/crypto/errors.h"
#include "keylink/crypto/hash.h"
#include "testing/vectors.h"

namespace keylink::wire {
namespace {

// WalletConnect's own vectors (testdata/walletconnect_vectors.txt), step by step.
class WalletConnectVectors : public ::testing::Test {
 protected:
  testing::Vector v = testing::load_vectors("walletconnect_vectors.txt").at(0);
};

TEST_F(WalletConnectVectors, KeyPairsAndSharedSecret) {
  const auto a = crypto::X25519KeyPair::from_private(testing::hex_secret<32>(v["a_private"]));
  const auto b = crypto::X25519KeyPair::from_private(testing::hex_secret<32>(v["b_private"]));
  EXPECT_EQ(to_hex(a.public_key), v["a_public"]);
  EXPECT_EQ(to_hex(b.public_key), v["b_public"]);
  auto shared = crypto::x25519(a.private_key, b.public_key);
  ASSERT_TRUE(shared);
  EXPECT_EQ(to_hex(shared->expose()), v["shared"]);
  EXPECT_EQ(topic_of(shared->expose()), v["shared_sha256"]);
}

TEST_F(WalletConnectVectors, SymKeyFromBothSides) {
  auto from_a = derive_sym_key(testing::hex_secret<32>(v["a_private"]), testing::hex_array<32>(v["b_public"]));
  auto from_b = derive_sym_key(testing::hex_secret<32>(v["b_private"]), testing::hex_array<32>(v["a_public"]));
  ASSERT_TRUE(from_a && from_b);
  EXPECT_EQ(to_hex(from_a->expose()), v["sym_key"]);
  EXPECT_EQ(to_hex(from_b->expose()), v["sym_key"]);
}

TEST_F(WalletConnectVectors, MessageHash) { EXPECT_EQ(hash_message(v["message"]), v["message_sha256"]); }

TEST(DeriveSymKey, RefusesALowOrderPeerKey) {
  const Secret<32> mine(Bytes(32, 7));
  auto key = derive_sym_key(mine, crypto::X25519PublicKey{});  // the all-zero point has order 4
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error().code, crypto::Errc::kWeakKey);
}

}  // namespace
}  // namespace keylink::wire
