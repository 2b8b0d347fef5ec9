#include <gtest/gtest.h>

#include "keylink/base/rng.h"
#include "keylink/crypto/ethereum.h"
#include "keylink/crypto/hash.h"
#include "keylink/crypto/xmtp/conversation_keys.h"
#include "keylink/wire/errors.h"
#include "keylink/wire/xmtp/ciphertext.h"
#include "keylink/wire/xmtp/contact.h"
#include "keylink/wire/xmtp/content.h"
#include "keylink/wire/xmtp/invitation.h"
#include "keylink/wire/xmtp/keys.h"
#include "keylink/wire/xmtp/message.h"
#include "keylink/wire/xmtp/network_envelope.h"
#include "keylink/wire/xmtp/private_keys.h"
#include "keylink/wire/xmtp/signatures.h"

namespace keylink::wire::xmtp {
namespace {

Signature sign(const crypto::Secp256k1PrivateKey& key, ByteView data) {
  return Signature{SignatureKind::kEcdsaCompact, key.sign_recoverable(crypto::sha256(data))};
}

// An identity signed by a wallet and one pre-key signed by the identity, as the SDK makes them.
struct Identity {
  crypto::Secp256k1PrivateKey wallet;
  PrivateKeyBundleV2 keys;
};

Identity make_identity(Rng& rng) {
  auto wallet = crypto::Secp256k1PrivateKey::generate(rng);
  auto identity = crypto::Secp256k1PrivateKey::generate(rng);
  auto pre_key = crypto::Secp256k1PrivateKey::generate(rng);
  const UnsignedPublicKey identity_public{1'700'000'000'000'000'000, identity.public_key()};
  const Bytes identity_bytes = encode(identity_public);
  const auto eth = crypto::personal_sign(wallet, as_bytes(crypto::xmtp::create_identity_text(identity_bytes)));
  Signature wallet_signature{SignatureKind::kWalletEcdsaCompact, {}};
  std::copy(eth.begin(), eth.begin() + 64, wallet_signature.value.compact.begin());
  wallet_signature.value.recovery_id = static_cast<std::uint8_t>(eth[64] - 27);
  const UnsignedPublicKey pre_public{1'700'000'000'000'000'001, pre_key.public_key()};
  const Bytes pre_bytes = encode(pre_public);
  SignedPrivateKey identity_private{1'700'000'000'000'000'000, std::move(identity),
                                    make_signed_public_key(identity_public, wallet_signature)};
  auto pre_signature = sign(identity_private.secret, pre_bytes);
  SignedPrivateKey pre_private{1'700'000'000'000'000'001, std::move(pre_key),
                               make_signed_public_key(pre_public, pre_signature)};
  PrivateKeyBundleV2 bundle{std::move(identity_private), {}};
  bundle.pre_keys.push_back(std::move(pre_private));
  return Identity{std::move(wallet), std::move(bundle)};
}

TEST(XmtpKeys, BundleRoundTripsAndVerifies) {
  FixedRng rng(11);
  const auto me = make_identity(rng);
  const auto bundle = public_bundle(me.keys);
  const Bytes bytes = encode(bundle);
  auto decoded = decode_signed_public_key_bundle(bytes);
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(encode(*decoded), bytes);
  EXPECT_TRUE(verify_pre_key(*decoded));
  auto address = wallet_address(decoded->identity_key);
  ASSERT_TRUE(address) << address.error().message;
  EXPECT_EQ(*address, crypto::EthAddress::from_public_key(me.wallet.public_key()));
}

TEST(XmtpKeys, RefusesMissingFieldsTruncationAndGarbage) {
  FixedRng rng(12);
  const Bytes bytes = encode(public_bundle(make_identity(rng).keys));
  for (std::size_t n = 1; n < bytes.size(); n += 7) {
    EXPECT_FALSE(decode_signed_public_key_bundle(ByteView(bytes).first(n))) << n;
  }
  auto empty = decode_signed_public_key(Bytes{});
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().message, "SignedPublicKey.key_bytes: missing");
  EXPECT_FALSE(decode_signed_public_key_bundle(Bytes{0xff, 0xff, 0xff}));
  EXPECT_EQ(decode_signed_public_key_bundle(Bytes(kMaxKeyMessageSize + 1, 0)).error().code, Errc::kTooLarge);
}

TEST(XmtpKeys, PrivateBundleRoundTripsAndGivesAgreeingThreeDh) {
  FixedRng rng(13);
  const auto a = make_identity(rng);
  const auto b = make_identity(rng);
  auto decoded = decode_private_key_bundle(encode(a.keys));
  ASSERT_TRUE(decoded) << decoded.error().message;
  const auto& a2 = std::get<PrivateKeyBundleV2>(*decoded);
  EXPECT_EQ(encode(a2), encode(a.keys));
  auto s1 = shared_secret(a2, a2.pre_keys[0].secret.public_key(), public_bundle(b.keys), false);
  auto s2 = shared_secret(b.keys, b.keys.pre_keys[0].secret.public_key(), public_bundle(a.keys), true);
  ASSERT_TRUE(s1 && s2);
  EXPECT_TRUE(*s1 == *s2);
}

TEST(XmtpSignatures, SignedContentVerifiesOnlyOverItsHeaderAndPayload) {
  FixedRng rng(15);
  const auto a = make_identity(rng);
  const Bytes header = encode(MessageHeaderV2{5, "/xmtp/0/m-ab/proto"});
  const Bytes payload = to_bytes("content");
  SignedContent content{payload, public_bundle(a.keys), sign(a.keys.pre_keys[0].secret, concat(header, payload))};
  auto decoded = decode_signed_content(encode(content));
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_TRUE(verify_signed_content(*decoded, header));
  EXPECT_FALSE(verify_signed_content(*decoded, Bytes{1}));
  decoded->payload.push_back(0);
  EXPECT_FALSE(verify_signed_content(*decoded, header));
  content.signature = sign(a.keys.identity_key.secret, concat(header, payload));  // not the pre-key
  EXPECT_FALSE(verify_signed_content(content, header));
}

TEST(XmtpWire, CiphertextEnvelopeMessageAndInvitationRoundTrip) {
  FixedRng rng(14);
  const auto a = make_identity(rng);
  const auto b = make_identity(rng);
  const auto sealed = crypto::xmtp::seal(Bytes(32, 1), as_bytes("hi"), {}, rng);
  auto ciphertext = decode_ciphertext(encode(sealed));
  ASSERT_TRUE(ciphertext);
  EXPECT_EQ(*ciphertext, sealed);

  const Envelope envelope{"/xmtp/0/m-ab/proto", 42, Bytes{1, 2, 3}};
  auto envelope2 = decode_envelope(encode(envelope));
  ASSERT_TRUE(envelope2);
  EXPECT_EQ(envelope2->message, envelope.message);

  const MessageHeaderV2 header{7, "/xmtp/0/m-ab/proto"};
  const MessageV2 message{encode(header), header, sealed, Bytes(32, 5), std::nullopt};
  auto message2 = decode_message_v2(encode(message));
  ASSERT_TRUE(message2) << message2.error().message;
  EXPECT_EQ(encode(*message2), encode(message));

  const SealedInvitationHeaderV1 invite_header{public_bundle(a.keys), public_bundle(b.keys), 99};
  const SealedInvitation invite{encode(invite_header), invite_header, sealed};
  auto invite2 = decode_sealed_invitation(encode(invite));
  ASSERT_TRUE(invite2) << invite2.error().message;
  EXPECT_EQ(encode(*invite2), encode(invite));
  EXPECT_EQ(invite2->header.created_ns, 99u);

  EXPECT_TRUE(decode_sealed_invitation(Envelope{"/xmtp/0/invite-x/proto", 99, encode(invite)}));
  auto redated = decode_sealed_invitation(Envelope{"/xmtp/0/invite-x/proto", 100, encode(invite)});
  ASSERT_FALSE(redated);
  EXPECT_EQ(redated.error().message, "SealedInvitationHeaderV1.created_ns: differs from the envelope timestamp_ns");

  const ContactBundle contact = public_bundle(b.keys);
  auto contact2 = decode_contact_bundle(encode(contact));
  ASSERT_TRUE(contact2);
  EXPECT_EQ(encode(*contact2), encode(contact));

  InvitationV1 invitation{"/xmtp/0/m-ab/proto", "conv", {{"k", "v"}}, Secret<32>(Bytes(32, 3)), std::nullopt};
  auto invitation2 = decode_invitation_v1(encode(invitation));
  ASSERT_TRUE(invitation2) << invitation2.error().message;
  EXPECT_TRUE(invitation2->key_material == invitation.key_material);
  EXPECT_EQ(invitation2->metadata.at("k"), "v");

  EncodedContent content{
      {"xmtp.org", "text", 1, 0}, {{"encoding", "UTF-8"}}, std::nullopt, std::nullopt, to_bytes("hello")};
  auto content2 = decode_encoded_content(encode(content));
  ASSERT_TRUE(content2);
  EXPECT_EQ(content2->type, content.type);
  EXPECT_EQ(encode(*content2), encode(content));
}

}  // namespace
}  // namespace keylink::wire::xmtp
