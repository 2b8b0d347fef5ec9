#include "keylink/crypto/argon2.h"

#include <gtest/gtest.h>

#include "keylink/crypto/errors.h"
#include "testing/vectors.h"

namespace keylink::crypto {
namespace {

using testing::hex;
using testing::hex_array;
using testing::load_vectors;

TEST(Argon2, LibsodiumVector) {
  for (const auto& v : load_vectors("argon2id_libsodium.txt")) {
    const Argon2Params params{std::stoull(v.at("iterations")), std::stoull(v.at("memory_kib")) * 1024};
    auto key = argon2id(hex(v.at("password")), hex_array<16>(v.at("salt")), params);
    ASSERT_TRUE(key) << key.error().message;
    EXPECT_EQ(to_hex(key->expose()), v.at("hash"));
  }
}

TEST(Argon2, DifferentSaltDifferentKey) {
  const Argon2Params cheap{1, 8192 * 1024};
  Argon2Salt salt{};
  auto a = argon2id(to_bytes("passphrase"), salt, cheap);
  salt[0] = 1;
  auto b = argon2id(to_bytes("passphrase"), salt, cheap);
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(*a == *b);
}

TEST(Argon2, ParametersOutsideLibsodiumBoundsAreUnsupported) {
  for (const Argon2Params params : {Argon2Params{0, 8192 * 1024}, Argon2Params{1, 1024}}) {
    auto key = argon2id(to_bytes("p"), Argon2Salt{}, params);
    ASSERT_FALSE(key);
    EXPECT_EQ(key.error().code, Errc::kUnsupported);
  }
}

}  // namespace
}  // namespace keylink::crypto
