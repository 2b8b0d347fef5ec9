#include "keylink/crypto/x25519.h"

#include <gtest/gtest.h>

#include "keylink/crypto/errors.h"
#include "testing/vectors.h"

namespace keylink::crypto {
namespace {

using testing::hex_array;
using testing::hex_secret;
using testing::load_vectors;

TEST(X25519, Rfc7748Vectors) {
  for (const auto& v : load_vectors("rfc7748_x25519.txt")) {
    auto shared = x25519(hex_secret<32>(v.at("scalar")), hex_array<32>(v.at("u")));
    ASSERT_TRUE(shared) << shared.error().message;
    EXPECT_EQ(to_hex(shared->expose()), v.at("out"));
  }
}

TEST(X25519, Rfc7748PublicKeys) {
  for (const auto& v : load_vectors("rfc7748_x25519_keys.txt")) {
    const auto pair = X25519KeyPair::from_private(hex_secret<32>(v.at("private")));
    EXPECT_EQ(to_hex(pair.public_key), v.at("public"));
  }
}

TEST(X25519, GeneratedPairsAgree) {
  FixedRng rng(1);
  const auto a = X25519KeyPair::generate(rng);
  const auto b = X25519KeyPair::generate(rng);
  auto ab = x25519(a.private_key, b.public_key);
  auto ba = x25519(b.private_key, a.public_key);
  ASSERT_TRUE(ab && ba);
  EXPECT_TRUE(*ab == *ba);
}

TEST(X25519, LowOrderPeerKeysAreWeak) {
  FixedRng rng(2);
  const auto mine = X25519KeyPair::generate(rng);
  X25519PublicKey zero{};
  X25519PublicKey one{};
  one[0] = 1;
  // A point of order 8 (from the list of small-order points libsodium rejects).
  const auto order8 = hex_array<32>("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800");
  for (const auto& peer : {zero, one, order8}) {
    auto shared = x25519(mine.private_key, peer);
    ASSERT_FALSE(shared) << to_hex(peer);
    EXPECT_EQ(shared.error().code, Errc::kWeakKey);
    EXPECT_NE(shared.error().message.find("low-order"), std::string::npos);
  }
}

}  // namespace
}  // namespace keylink::crypto
