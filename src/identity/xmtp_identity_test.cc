#include "keylink/identity/xmtp_identity.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "keylink/crypto/errors.h"
#include "keylink/crypto/hash.h"
#include "keylink/crypto/xmtp/conversation_keys.h"
#include "keylink/identity/errors.h"
#include "keylink/wire/xmtp/contact.h"
#include "keylink/wire/xmtp/topics.h"
#include "xmtp_test_wallet.h"

namespace keylink::identity {
namespace {

namespace wx = wire::xmtp;

constexpr std::uint64_t kNowMs = 1'700'000'000'123;

ManualClock clock_at_ms(std::uint64_t ms) { return ManualClock(TimePoint(std::chrono::milliseconds(ms))); }

XmtpIdentity make(const TestWallet& wallet, std::uint64_t seed = 1) {
  FixedRng rng(seed);
  const auto clock = clock_at_ms(kNowMs);
  auto identity = XmtpIdentity::create(wallet.account, clock, rng);
  EXPECT_TRUE(identity) << identity.error().message;
  return std::move(*identity);
}

void expect_bad_signature(const Result<void>& result, std::string_view mentions) {
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, make_error_code(crypto::Errc::kBadSignature)) << result.error().message;
  EXPECT_NE(result.error().message.find(mentions), std::string::npos) << result.error().message;
}

TEST(XmtpIdentity, CreatedIdentityVerifiesAsTheWallets) {
  TestWallet wallet(7);
  const auto identity = make(wallet);
  EXPECT_EQ(identity.wallet(), wallet.account.address());
  auto v1 = verify_public_bundle(identity.public_bundle_v1());
  ASSERT_TRUE(v1) << v1.error().message;
  EXPECT_EQ(*v1, wallet.account.address());
  auto v2 = verify_public_bundle(identity.public_bundle());
  ASSERT_TRUE(v2) << v2.error().message;
  EXPECT_EQ(*v2, wallet.account.address());
}

// PrivateKeyBundleV1.generate: legacy keys stamped in ms, the wallet's signature filed as ecdsa_compact;
// fromLegacyBundle: created_ns = ms × 10^6 for the private keys, the ms value in key_bytes.
TEST(XmtpIdentity, KeysAreShapedAsXmtpJsMakesThem) {
  TestWallet wallet(7);
  const auto identity = make(wallet);
  const auto& v1 = identity.bundle_v1();
  EXPECT_EQ(v1.identity_key.timestamp, kNowMs);
  EXPECT_EQ(v1.identity_key.public_key.timestamp, kNowMs);
  ASSERT_EQ(v1.pre_keys.size(), 1u);
  EXPECT_EQ(v1.pre_keys[0].timestamp, kNowMs);
  EXPECT_EQ(v1.identity_key.public_key.signature->kind, wx::SignatureKind::kEcdsaCompact);
  const auto& v2 = identity.bundle_v2();
  EXPECT_EQ(v2.identity_key.created_ns, kNowMs * 1'000'000);
  EXPECT_EQ(v2.identity_key.public_key.key.created_ns, kNowMs);
  EXPECT_EQ(v2.identity_key.public_key.signature.kind, wx::SignatureKind::kWalletEcdsaCompact);
  EXPECT_EQ(v2.pre_keys[0].public_key.signature.kind, wx::SignatureKind::kEcdsaCompact);
  EXPECT_EQ(v2.identity_key.public_key.signature.value.compact, v1.identity_key.public_key.signature->value.compact);
  // The V2 key_bytes are the legacy signed bytes: the same wallet signature covers both.
  EXPECT_EQ(v2.identity_key.public_key.key_bytes,
            wx::encode(wx::PublicKey{kNowMs, std::nullopt, v1.identity_key.public_key.key}));
}

TEST(XmtpIdentity, SameRandomnessAndTimeGiveTheSameBytes) {
  TestWallet wallet(7);
  EXPECT_EQ(wx::encode(make(wallet, 5).bundle_v1()), wx::encode(make(wallet, 5).bundle_v1()));
  EXPECT_NE(wx::encode(make(wallet, 5).bundle_v1()), wx::encode(make(wallet, 6).bundle_v1()));
}

TEST(XmtpIdentity, RefusesAnotherWalletsSignature) {
  TestWallet mine(7);
  TestWallet other(8);
  const auto identity = make(other);
  expect_bad_signature(verify_contact_of(wx::ContactBundle(identity.public_bundle()), mine.account.address()),
                       other.account.address().to_string());
  expect_bad_signature(verify_contact_of(wx::ContactBundle(identity.public_bundle_v1()), mine.account.address()),
                       "signed by wallet");
  auto adopted = XmtpIdentity::from_bundle(wx::decode_private_key_bundle(wx::encode(identity.bundle_v1()))
                                               .map([](auto b) { return std::move(std::get<0>(b)); })
                                               .value(),
                                           mine.account.address());
  ASSERT_FALSE(adopted);
  EXPECT_EQ(adopted.error().code, make_error_code(crypto::Errc::kBadSignature));
}

TEST(XmtpIdentity, RefusesAlteredSignatures) {
  TestWallet wallet(7);
  const auto identity = make(wallet);
  const auto& address = wallet.account.address();
  for (int bit = 0; bit < 64 * 8; bit += 37) {
    auto v2 = identity.public_bundle();
    v2.identity_key.signature.value.compact[bit / 8] ^= static_cast<std::uint8_t>(1 << (bit % 8));
    expect_bad_signature(verify_contact_of(wx::ContactBundle(v2), address), "identity key");
    auto v1 = identity.public_bundle_v1();
    v1.identity_key.signature->value.compact[bit / 8] ^= static_cast<std::uint8_t>(1 << (bit % 8));
    expect_bad_signature(verify_contact_of(wx::ContactBundle(v1), address), "identity key");

    auto pre_v2 = identity.public_bundle();
    pre_v2.pre_key.signature.value.compact[bit / 8] ^= static_cast<std::uint8_t>(1 << (bit % 8));
    expect_bad_signature(verify_contact_of(wx::ContactBundle(pre_v2), address), "pre-key");
    auto pre_v1 = identity.public_bundle_v1();
    pre_v1.pre_key.signature->value.compact[bit / 8] ^= static_cast<std::uint8_t>(1 << (bit % 8));
    expect_bad_signature(verify_contact_of(wx::ContactBundle(pre_v1), address), "pre-key");
  }
  // A V2 identity key whose signature is filed as an identity-key signature is not a wallet's.
  auto wrong_kind = identity.public_bundle();
  wrong_kind.identity_key.signature.kind = wx::SignatureKind::kEcdsaCompact;
  expect_bad_signature(verify_contact_of(wx::ContactBundle(wrong_kind), address), "identity key");
  // A pre-key from another identity of the same wallet.
  auto mixed = identity.public_bundle();
  mixed.pre_key = make(wallet, 9).public_bundle().pre_key;
  expect_bad_signature(verify_contact_of(wx::ContactBundle(mixed), address), "pre-key");
}

TEST(XmtpIdentity, SignedBundleFromLegacyMatchesTheV2Bundle) {
  TestWallet wallet(7);
  const auto identity = make(wallet);
  auto converted = signed_bundle_from_legacy(identity.public_bundle_v1());
  ASSERT_TRUE(converted) << converted.error().message;
  EXPECT_EQ(wx::encode(*converted), wx::encode(identity.public_bundle()));
  auto unsigned_key = identity.public_bundle_v1();
  unsigned_key.pre_key.signature.reset();
  auto refused = signed_bundle_from_legacy(unsigned_key);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, make_error_code(crypto::Errc::kBadSignature));
}

TEST(XmtpIdentity, ContactEnvelopesAreV1ThenV2) {
  TestWallet wallet(7);
  const auto identity = make(wallet);
  const auto clock = clock_at_ms(kNowMs + 5);
  const auto envelopes = identity.contact_envelopes(clock);
  ASSERT_EQ(envelopes.size(), 2u);
  for (const auto& envelope : envelopes) {
    EXPECT_EQ(envelope.content_topic, wx::contact_topic(wallet.account.address()));
    EXPECT_EQ(envelope.timestamp_ns, (kNowMs + 5) * 1'000'000);
    auto contact = wx::decode_contact_bundle(envelope.message);
    ASSERT_TRUE(contact) << contact.error().message;
    EXPECT_TRUE(verify_contact_of(*contact, wallet.account.address()));
  }
  EXPECT_TRUE(std::holds_alternative<wx::PublicKeyBundle>(*wx::decode_contact_bundle(envelopes[0].message)));
  EXPECT_TRUE(std::holds_alternative<wx::SignedPublicKeyBundle>(*wx::decode_contact_bundle(envelopes[1].message)));
}

// PrivateKeyBundleV1.addPreKey: the new pre-key first, signed by the same identity key, the older kept.
TEST(XmtpIdentity, ANewPreKeyIsAdvertisedFirstAndMakesTheBundleNewer) {
  TestWallet wallet(7);
  const auto identity = make(wallet);
  FixedRng rng(2);
  auto rotated = identity.with_new_pre_key(clock_at_ms(kNowMs + 10), rng);
  ASSERT_TRUE(rotated) << rotated.error().message;
  const auto& pre_keys = rotated->bundle_v1().pre_keys;
  ASSERT_EQ(pre_keys.size(), 2u);
  EXPECT_EQ(pre_keys[0].timestamp, kNowMs + 10);
  EXPECT_EQ(pre_keys[1].public_key.key, identity.bundle_v1().pre_keys[0].public_key.key);
  EXPECT_NE(pre_keys[0].public_key.key, pre_keys[1].public_key.key);
  EXPECT_EQ(rotated->public_bundle_v1().pre_key.key, pre_keys[0].public_key.key);
  EXPECT_EQ(rotated->public_bundle().pre_key.key.key, pre_keys[0].public_key.key);
  EXPECT_EQ(wx::encode(rotated->public_bundle().identity_key), wx::encode(identity.public_bundle().identity_key));
  EXPECT_EQ(verify_public_bundle(rotated->public_bundle()).value(), wallet.account.address());
  EXPECT_EQ(verify_public_bundle(rotated->public_bundle_v1()).value(), wallet.account.address());
  EXPECT_GT(bundle_created_ns(rotated->public_bundle()), bundle_created_ns(identity.public_bundle()));

  // A clock set back (or in the same millisecond) still gives a newer bundle.
  auto again = rotated->with_new_pre_key(clock_at_ms(kNowMs), rng);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->bundle_v1().pre_keys.size(), 3u);
  EXPECT_EQ(again->bundle_v1().pre_keys[0].timestamp, kNowMs + 11);
  EXPECT_GT(bundle_created_ns(again->public_bundle()), bundle_created_ns(rotated->public_bundle()));
}

TEST(EthAccountXmtp, SignsOnlyTheTwoOwnXmtpTexts) {
  TestWallet wallet(7);
  const std::string footer(kXmtpFooter);
  const std::string create = "XMTP : Create Identity\n" + std::string(160, 'a') + footer;
  const std::string enable = "XMTP : Enable Identity\n" + std::string(64, '0') + footer;
  for (const auto& text : {create, enable}) {
    auto signature = wallet.account.sign_own_xmtp_text(text);
    ASSERT_TRUE(signature) << signature.error().message;
    EXPECT_EQ(crypto::personal_sign_recover(as_bytes(text), *signature).value(), wallet.account.address());
    // personal_sign keeps refusing them.
    auto refused = wallet.account.personal_sign(as_bytes(text));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, make_error_code(Errc::kReservedMessage));
  }
  for (const std::string& text : std::vector<std::string>{
           "hello",
           "keylink : bind device",
           "XMTP : Create Identity\n" + std::string(160, 'A') + footer,  // uppercase hex
           "XMTP : Create Identity\n" + std::string(159, 'a') + footer,  // odd length
           "XMTP : Create Identity\n" + footer,                          // no key
           "XMTP : Create Identity\n" + std::string(514, 'a') + footer,  // too long
           "XMTP : Create Identity\n" + std::string(160, 'a') + footer + " ",
           "XMTP : Create Identity " + std::string(160, 'a') + footer,
           "XMTP : Enable Identity\n" + std::string(62, '0') + footer,  // not 32 bytes
           "XMTP : Enable Identity\n" + std::string(64, 'g') + footer,
           "XMTP : Enable Identity\n" + std::string(64, '0') + "\n\nFor more info: https://evil.example/",
       }) {
    auto refused = wallet.account.sign_own_xmtp_text(text);
    ASSERT_FALSE(refused) << text;
    EXPECT_EQ(refused.error().code, make_error_code(Errc::kReservedMessage));
  }
}

}  // namespace
}  // namespace keylink::identity
