#include "keylink/crypto/did_key.h"

#include <gtest/gtest.h>

#include "keylink/crypto/errors.h"
#include "testing/vectors.h"

namespace keylink::crypto {
namespace {

using testing::hex_secret;
using testing::load_vectors;

TEST(DidKey, WalletConnectVectors) {
  for (const auto& v : load_vectors("did_key_ed25519.txt")) {
    const auto pair = Ed25519KeyPair::from_seed(hex_secret<32>(v.at("seed")));
    EXPECT_EQ(to_hex(pair.public_key()), v.at("public"));
    EXPECT_EQ(did_key_from_ed25519(pair.public_key()), v.at("did"));
    auto parsed = ed25519_from_did_key(v.at("did"));
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_EQ(*parsed, pair.public_key());
  }
}

TEST(DidKey, RejectsOtherMethodsAndEncodings) {
  for (std::string_view bad : {"", "did:web:example.com", "did:key:", "did:key:f6Mkg49NtQR2LyYRDCQFK4w1VVHqhypZSSRo",
                               "did:key:z0OIl", "did:key:z2"}) {
    auto parsed = ed25519_from_did_key(bad);
    ASSERT_FALSE(parsed) << bad;
    EXPECT_EQ(parsed.error().code, Errc::kMalformed) << bad << ": " << parsed.error().message;
  }
  // A character too few or too many changes the whole number, so the codec or the length is wrong.
  EXPECT_FALSE(ed25519_from_did_key("did:key:z6Mkg49NtQR2LyYRDCQFK4w1VVHqhypZSSRo7HsyuN7SV7v"));
  EXPECT_FALSE(ed25519_from_did_key("did:key:z6Mkg49NtQR2LyYRDCQFK4w1VVHqhypZSSRo7HsyuN7SV7v5x"));
  EXPECT_FALSE(ed25519_from_did_key("did:key:z" + std::string(200, '2')));
}

TEST(DidKey, OtherKeyTypesAreUnsupported) {
  // A secp256k1 did:key (multicodec 0xe7 0x01) is well formed but not Ed25519.
  Bytes secp = {0xe7, 0x01};
  secp.resize(2 + 33, 0x02);
  auto parsed = ed25519_from_did_key("did:key:z" + to_base58(secp));
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, Errc::kUnsupported);
}

}  // namespace
}  // namespace keylink::crypto
