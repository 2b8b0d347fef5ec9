#include "keylink/wire/xmtp/private_preferences.h"

#include <gtest/gtest.h>

#include "keylink/base/encoding.h"
#include "keylink/crypto/errors.h"
#include "keylink/wire/errors.h"

namespace keylink::wire::xmtp {
namespace {

TEST(XmtpPrivatePreferences, ActionsRoundTrip) {
  const std::vector<PrivatePreferencesAction> actions = {
      {PreferenceKind::kAllowAddress, {"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"}},
      {PreferenceKind::kDenyAddress, {"0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359", "0x" + std::string(40, '0')}},
      {PreferenceKind::kAllowGroup, {"0011aabb"}},
      {PreferenceKind::kDenyGroup, {}},
      {PreferenceKind::kAllowInboxId, {"inbox-1", "inbox-2"}},
      {PreferenceKind::kDenyInboxId, {"inbox-3"}},
  };
  for (const auto& action : actions) {
    const Bytes bytes = encode(action);
    auto decoded = decode_private_preferences_action(bytes);
    ASSERT_TRUE(decoded) << decoded.error().message;
    EXPECT_EQ(*decoded, action);
    EXPECT_EQ(encode(*decoded), bytes);
    // The oneof field number is the kind: tag = (kind << 3) | 2.
    EXPECT_EQ(bytes[0], (static_cast<int>(action.kind) << 3) | 2);
  }
}

TEST(XmtpPrivatePreferences, KnownBytes) {
  // {allowAddress: {walletAddresses: ["0x" + "ab" * 20]}} as @xmtp/proto encodes it.
  const std::string address = "0x" + std::string(40, 'a');
  const Bytes expected = to_bytes("\x0a\x2c\x0a\x2a" + address);
  EXPECT_EQ(encode(PrivatePreferencesAction{PreferenceKind::kAllowAddress, {address}}), expected);
  EXPECT_EQ(encode(PrivatePreferencesAction{PreferenceKind::kDenyGroup, {}}), (Bytes{0x22, 0x00}));
}

TEST(XmtpPrivatePreferences, BadActionsAreRefused) {
  EXPECT_FALSE(decode_private_preferences_action(Bytes{}));  // no action
  EXPECT_FALSE(decode_private_preferences_action(Bytes{0x0a, 0x05, 0x0a}));
  auto not_address =
      decode_private_preferences_action(encode(PrivatePreferencesAction{PreferenceKind::kDenyAddress, {"alice.eth"}}));
  ASSERT_FALSE(not_address);
  EXPECT_EQ(not_address.error().code, make_error_code(Errc::kMalformed));
  EXPECT_FALSE(decode_private_preferences_action(Bytes(kMaxPrivatePreferencesSize + 1, 0)));
}

TEST(XmtpPrivatePreferences, SealedForSelfOpensForSelfOnly) {
  FixedRng rng(5);
  const auto me = crypto::Secp256k1PrivateKey::generate(rng);
  const auto other = crypto::Secp256k1PrivateKey::generate(rng);
  const Bytes action = encode(PrivatePreferencesAction{PreferenceKind::kAllowAddress, {"0x" + std::string(40, 'b')}});
  const Bytes payload = seal_private_preferences(me, action, rng);
  auto ciphertext = decode_private_preferences_payload(payload);
  ASSERT_TRUE(ciphertext) << ciphertext.error().message;
  EXPECT_EQ(encode_private_preferences_payload(*ciphertext), payload);
  auto opened = open_private_preferences(me, payload);
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_EQ(*opened, action);
  auto foreign = open_private_preferences(other, payload);
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, make_error_code(crypto::Errc::kDecryptFailed));
  EXPECT_FALSE(open_private_preferences(me, Bytes{}));  // no v1
}

}  // namespace
}  // namespace keylink::wire::xmtp
