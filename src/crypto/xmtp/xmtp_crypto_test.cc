#include <gtest/gtest.h>

#include "keylink/base/encoding.h"
#include "keylink/base/rng.h"
#include "keylink/crypto/errors.h"
#include "keylink/crypto/xmtp/ciphertext.h"
#include "keylink/crypto/xmtp/conversation_keys.h"
#include "keylink/crypto/xmtp/three_dh.h"

namespace keylink::crypto::xmtp {
namespace {

TEST(XmtpCiphertext, SealsAndOpensWithTheSameSecretAndAad) {
  FixedRng rng(1);
  const Bytes secret(195, 7);
  const auto sealed = seal(secret, as_bytes("hello"), as_bytes("header"), rng);
  EXPECT_EQ(sealed.payload.size(), 5 + kGcmTagSize);
  auto opened = open(secret, sealed, as_bytes("header"));
  ASSERT_TRUE(opened);
  EXPECT_EQ(as_chars(*opened), "hello");
}

TEST(XmtpCiphertext, RefusesAnotherAadSecretOrTamperedPayload) {
  FixedRng rng(2);
  const Bytes secret(32, 1);
  auto sealed = seal(secret, as_bytes("hello"), as_bytes("header"), rng);
  EXPECT_EQ(open(secret, sealed, as_bytes("other")).error().code, Errc::kDecryptFailed);
  EXPECT_EQ(open(Bytes(32, 2), sealed, as_bytes("header")).error().code, Errc::kDecryptFailed);
  sealed.payload[0] ^= 1;
  EXPECT_EQ(open(secret, sealed, as_bytes("header")).error().code, Errc::kDecryptFailed);
  sealed.payload.resize(3);
  EXPECT_EQ(open(secret, sealed, as_bytes("header")).error().code, Errc::kMalformed);
}

TEST(XmtpThreeDh, SenderAndRecipientAgree) {
  FixedRng rng(3);
  const auto a_identity = Secp256k1PrivateKey::generate(rng);
  const auto a_pre = Secp256k1PrivateKey::generate(rng);
  const auto b_identity = Secp256k1PrivateKey::generate(rng);
  const auto b_pre = Secp256k1PrivateKey::generate(rng);
  auto sender = three_dh({a_identity, a_pre}, {b_identity.public_key(), b_pre.public_key()}, false);
  auto recipient = three_dh({b_identity, b_pre}, {a_identity.public_key(), a_pre.public_key()}, true);
  ASSERT_TRUE(sender && recipient);
  EXPECT_TRUE(*sender == *recipient);
  auto wrong_side = three_dh({b_identity, b_pre}, {a_identity.public_key(), a_pre.public_key()}, false);
  EXPECT_FALSE(*sender == *wrong_side);
}

TEST(XmtpInvitationKeys, DoNotDependOnWhichSideDerives) {
  const Bytes secret(195, 9);
  const auto a = derive_invitation_keys(secret, "conv", "0xAa", "0xBb");
  const auto b = derive_invitation_keys(secret, "conv", "0xBb", "0xAa");
  EXPECT_EQ(a.topic, b.topic);
  EXPECT_TRUE(a.key_material == b.key_material);
  EXPECT_TRUE(a.topic.starts_with("/xmtp/0/m-"));
  EXPECT_EQ(a.topic.size(), std::string("/xmtp/0/m-").size() + 64 + std::string("/proto").size());
  EXPECT_TRUE(invitation_is_recipient("0xAa", "0xBb"));
  EXPECT_FALSE(invitation_is_recipient("0xBb", "0xAa"));
}

TEST(XmtpCreateIdentityText, IsTheTextWalletsSign) {
  EXPECT_EQ(create_identity_text(Bytes{0x08, 0xAB}),
            "XMTP : Create Identity\n08ab\n\nFor more info: https://xmtp.org/signatures/");
}

TEST(XmtpThirtyDayPeriod, FloorsLikeJavaScript) {
  EXPECT_EQ(thirty_day_period(0), 0);
  EXPECT_EQ(thirty_day_period(2592000 - 1), 0);
  EXPECT_EQ(thirty_day_period(2592000), 1);
  EXPECT_EQ(thirty_day_period(-1), -1);
}

}  // namespace
}  // namespace keylink::crypto::xmtp
