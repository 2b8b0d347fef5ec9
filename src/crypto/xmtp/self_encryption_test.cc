#include "keylink/crypto/xmtp/self_encryption.h"

#include <gtest/gtest.h>

#include "keylink/base/rng.h"
#include "keylink/crypto/errors.h"
#include "keylink/crypto/hash.h"

namespace keylink::crypto::xmtp {
namespace {

Secp256k1PrivateKey key_from(std::initializer_list<std::uint8_t> bytes) {
  const Bytes raw(bytes);
  auto key = Secp256k1PrivateKey::from_bytes(Secret<32>(raw));
  EXPECT_TRUE(key);
  return std::move(*key);
}

// libxmtp xmtp_user_preferences topic.rs generate_reference_identifier: "an explicit example for
// reference tests across SDKs".
TEST(XmtpSelfEncryption, TopicIdentifierMatchesLibxmtpReference) {
  const auto key = key_from({69,  239, 223, 17,  3,   219, 126, 21,  172, 74, 55,  18, 123, 240, 246, 149,
                             158, 74,  183, 229, 236, 98,  133, 184, 95,  44, 130, 35, 138, 113, 36,  211});
  EXPECT_EQ(private_preferences_topic_identifier(key), "EBsHSM9lLmELuUVCMJ-tPE0kDcok1io9IwUO6WPC-cM");
}

TEST(XmtpSelfEncryption, TopicIdentifierDiffersPerKey) {
  FixedRng rng(1);
  const auto a = Secp256k1PrivateKey::generate(rng);
  const auto b = Secp256k1PrivateKey::generate(rng);
  EXPECT_NE(private_preferences_topic_identifier(a), private_preferences_topic_identifier(b));
  EXPECT_EQ(private_preferences_topic_identifier(a).size(), 43u);
}

TEST(XmtpSelfEncryption, RoundTrips) {
  FixedRng rng(2);
  const auto key = Secp256k1PrivateKey::generate(rng);
  for (const std::string& text : std::vector<std::string>{"", "x", std::string(5000, 'p')}) {
    const auto sealed = self_encrypt(key, as_bytes(text), rng);
    auto opened = self_decrypt(key, sealed);
    ASSERT_TRUE(opened) << opened.error().message;
    EXPECT_EQ(as_chars(*opened), text);
  }
}

// The recipe itself: HKDF(private key, salt) is the ciphertext's secret and the public key its AAD.
TEST(XmtpSelfEncryption, IsTheUsualCiphertextUnderTheDerivedKey) {
  FixedRng rng(3);
  const auto key = Secp256k1PrivateKey::generate(rng);
  const auto sealed = self_encrypt(key, as_bytes("consent"), rng);
  const auto derived = hkdf_sha256_32(key.secret().expose(), as_bytes("XMTP_PRIVATE_PREFERENCES_ENCRYPTION"));
  auto opened = open(derived.expose(), sealed, key.public_key());
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_EQ(as_chars(*opened), "consent");
  EXPECT_FALSE(open(derived.expose(), sealed, {}));
}

TEST(XmtpSelfEncryption, OtherKeyOrTamperingFails) {
  FixedRng rng(4);
  const auto key = Secp256k1PrivateKey::generate(rng);
  const auto other = Secp256k1PrivateKey::generate(rng);
  auto sealed = self_encrypt(key, as_bytes("allow 0xabc"), rng);
  auto wrong = self_decrypt(other, sealed);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, make_error_code(Errc::kDecryptFailed));
  sealed.payload[0] ^= 1;
  EXPECT_FALSE(self_decrypt(key, sealed));
}

}  // namespace
}  // namespace keylink::crypto::xmtp
