#include "keylink/wire/keys.h"

#include <gtest/gtest.h>

#include "keylink/base/encoding.h"
#include "keylink/base/testdata.h"
#include "keylink/crypto/errors.h"

namespace keylink::wire {
namespace {

class WalletConnectVectors : public ::testing::Test {
 protected:
  std::map<std::string, std::string> v = testing::load_vectors(KEYLINK_TESTDATA, "walletconnect_vectors.txt");
};

TEST_F(WalletConnectVectors, SymKeyFromBothSides) {
  const Secret<32> a(from_hex(v["a_private"]).value());
  const Secret<32> b(from_hex(v["b_private"]).value());
  auto from_a = derive_sym_key(a, from_hex_array<32>(v["b_public"]).value());
  auto from_b = derive_sym_key(b, from_hex_array<32>(v["a_public"]).value());
  ASSERT_TRUE(from_a && from_b);
  EXPECT_EQ(to_hex(from_a->expose()), v["sym_key"]);
  EXPECT_EQ(to_hex(from_b->expose()), v["sym_key"]);
}

TEST_F(WalletConnectVectors, TopicAndMessageHash) {
  EXPECT_EQ(topic_of(from_hex(v["shared"]).value()), v["shared_sha256"]);
  EXPECT_EQ(hash_message(v["message"]), v["message_sha256"]);
}

TEST(DeriveSymKey, RefusesALowOrderPeerKey) {
  const Secret<32> mine(Bytes(32, 7));
  auto key = derive_sym_key(mine, crypto::X25519PublicKey{});  // the all-zero point has order 4
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error().code, crypto::Errc::kWeakKey);
}

}  // namespace
}  // namespace keylink::wire
