#include "keylink/identity/private_store.h"

#include <gtest/gtest.h>

#include "keylink/crypto/errors.h"
#include "keylink/crypto/xmtp/ciphertext.h"
#include "keylink/wire/errors.h"
#include "keylink/wire/xmtp/topics.h"
#include "xmtp_test_wallet.h"

namespace keylink::identity {
namespace {

namespace wx = wire::xmtp;

const ManualClock kClock(TimePoint(std::chrono::milliseconds(1'700'000'000'123)));

XmtpIdentity make(const TestWallet& wallet) {
  FixedRng rng(1);
  return XmtpIdentity::create(wallet.account, kClock, rng).value();
}

// What a wallet that signs with v = 0/1 (Ledger) would have sealed: the same r ‖ s, v − 27.
wx::EncryptedPrivateKeyBundle seal_with_v(const XmtpIdentity& identity, const TestWallet& wallet, int v_offset,
                                          Rng& rng) {
  wx::EncryptedPrivateKeyBundle out;
  out.wallet_pre_key = rng.bytes<wx::kWalletPreKeySize>();
  auto signature = wallet.account.sign_own_xmtp_text(enable_identity_text(out.wallet_pre_key)).value();
  signature[64] = static_cast<std::uint8_t>(signature[64] + v_offset);
  out.ciphertext = crypto::xmtp::seal(signature, wx::encode(identity.bundle_v1()), {}, rng);
  return out;
}

TEST(XmtpPrivateStore, SealsAndOpensForTheSameWallet) {
  TestWallet wallet(7);
  const auto identity = make(wallet);
  FixedRng rng(2);
  auto sealed = seal_private_store(identity, wallet.account, rng);
  ASSERT_TRUE(sealed) << sealed.error().message;
  const Bytes bytes = wx::encode(*sealed);
  auto opened = open_private_store(bytes, wallet.account);
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_EQ(wx::encode(opened->bundle_v1()), wx::encode(identity.bundle_v1()));
  EXPECT_EQ(wx::encode(opened->bundle_v2()), wx::encode(identity.bundle_v2()));
}

// NetworkKeyManager: the secret is the 65 signature bytes with v as the wallet gave it, and the text
// covers the lowercase hex of the pre-key.
TEST(XmtpPrivateStore, SecretIsTheWalletSignatureOfTheEnableText) {
  TestWallet wallet(7);
  const auto identity = make(wallet);
  FixedRng rng(2);
  const auto sealed = seal_private_store(identity, wallet.account, rng).value();
  const std::string text = enable_identity_text(sealed.wallet_pre_key);
  EXPECT_TRUE(text.starts_with("XMTP : Enable Identity\n"));
  EXPECT_TRUE(text.ends_with("\n\nFor more info: https://xmtp.org/signatures/"));
  const auto secret = wallet.account.sign_own_xmtp_text(text).value();
  EXPECT_GE(secret[64], 27);
  auto plaintext = crypto::xmtp::open(secret, sealed.ciphertext, {});
  ASSERT_TRUE(plaintext) << plaintext.error().message;
  EXPECT_EQ(*plaintext, wx::encode(identity.bundle_v1()));
}

TEST(XmtpPrivateStore, OpensBackupsSealedWithVMinus27) {
  TestWallet wallet(7);
  const auto identity = make(wallet);
  FixedRng rng(3);
  auto opened = open_private_store(seal_with_v(identity, wallet, -27, rng), wallet.account);
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_EQ(wx::encode(opened->bundle_v1()), wx::encode(identity.bundle_v1()));
}

TEST(XmtpPrivateStore, AnotherWalletCannotOpenIt) {
  TestWallet wallet(7);
  TestWallet other(8);
  FixedRng rng(4);
  const auto sealed = seal_private_store(make(wallet), wallet.account, rng).value();
  auto refused = open_private_store(sealed, other.account);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, make_error_code(crypto::Errc::kDecryptFailed));
  EXPECT_NE(refused.error().message.find("another wallet"), std::string::npos) << refused.error().message;
}

// A backup sealed with this wallet's signature but holding another wallet's identity is refused.
TEST(XmtpPrivateStore, RefusesAnIdentityOfAnotherWallet) {
  TestWallet wallet(7);
  TestWallet other(8);
  FixedRng rng(5);
  const auto sealed = seal_with_v(make(other), wallet, 0, rng);
  auto refused = open_private_store(sealed, wallet.account);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, make_error_code(crypto::Errc::kBadSignature)) << refused.error().message;
}

TEST(XmtpPrivateStore, RefusesAlteredAndMalformedBackups) {
  TestWallet wallet(7);
  FixedRng rng(6);
  auto sealed = seal_private_store(make(wallet), wallet.account, rng).value();
  auto altered = sealed;
  altered.ciphertext.payload[3] ^= 1;
  EXPECT_EQ(open_private_store(altered, wallet.account).error().code, make_error_code(crypto::Errc::kDecryptFailed));
  auto other_pre_key = sealed;
  other_pre_key.wallet_pre_key[0] ^= 1;
  EXPECT_EQ(open_private_store(other_pre_key, wallet.account).error().code,
            make_error_code(crypto::Errc::kDecryptFailed));
  EXPECT_EQ(open_private_store(Bytes{0x0a, 0x01}, wallet.account).error().code,
            make_error_code(wire::Errc::kMalformed));
  // It opens, but holds no bundle.
  auto garbage = sealed;
  const auto secret = wallet.account.sign_own_xmtp_text(enable_identity_text(sealed.wallet_pre_key)).value();
  garbage.ciphertext = crypto::xmtp::seal(secret, to_bytes("not a bundle"), {}, rng);
  auto refused = open_private_store(garbage, wallet.account);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, make_error_code(wire::Errc::kMalformed)) << refused.error().message;
}

TEST(XmtpPrivateStore, EnvelopeGoesToThePrivateStoreTopic) {
  TestWallet wallet(7);
  FixedRng rng(7);
  const auto sealed = seal_private_store(make(wallet), wallet.account, rng).value();
  const auto envelope = private_store_envelope(sealed, wallet.account.address(), kClock);
  EXPECT_EQ(envelope.content_topic,
            "/xmtp/0/privatestore-" + wallet.account.address().to_string() + "/key_bundle/proto");
  EXPECT_EQ(envelope.timestamp_ns, 1'700'000'000'123'000'000u);
  EXPECT_EQ(envelope.message, wx::encode(sealed));
}

}  // namespace
}  // namespace keylink::identity
