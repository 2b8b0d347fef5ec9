#include <gtest/gtest.h>

#include "keylink/base/rng.h"
#include "keylink/crypto/errors.h"
#include "keylink/crypto/ethereum.h"
#include "keylink/crypto/hash.h"
#include "keylink/crypto/xmtp/conversation_keys.h"
#include "keylink/wire/errors.h"
#include "keylink/wire/xmtp/message.h"
#include "keylink/wire/xmtp/message_v1.h"
#include "keylink/wire/xmtp/private_keys.h"

namespace keylink::wire::xmtp {
namespace {

constexpr std::uint64_t kMs = 1'700'000'000'000;

// A V1 identity as xmtp-js PrivateKeyBundleV1.generate(wallet) makes it: the wallet signs the identity
// key (filed as ecdsa_compact), the identity key signs the pre-key, both over the key without signature.
struct IdentityV1 {
  crypto::Secp256k1PrivateKey wallet;
  PrivateKeyBundleV1 keys;
};

PrivateKey make_key(crypto::Secp256k1PrivateKey secret, std::uint64_t timestamp) {
  PublicKey public_key{timestamp, std::nullopt, secret.public_key()};
  return PrivateKey{timestamp, std::move(secret), public_key};
}

IdentityV1 make_identity(Rng& rng) {
  auto wallet = crypto::Secp256k1PrivateKey::generate(rng);
  auto identity = make_key(crypto::Secp256k1PrivateKey::generate(rng), kMs);
  const auto eth =
      crypto::personal_sign(wallet, as_bytes(crypto::xmtp::create_identity_text(encode(identity.public_key))));
  Signature wallet_signature{SignatureKind::kEcdsaCompact, {}};
  std::copy(eth.begin(), eth.begin() + 64, wallet_signature.value.compact.begin());
  wallet_signature.value.recovery_id = static_cast<std::uint8_t>(eth[64] - 27);
  identity.public_key.signature = wallet_signature;
  auto pre_key = make_key(crypto::Secp256k1PrivateKey::generate(rng), kMs + 1);
  pre_key.public_key.signature = Signature{
      SignatureKind::kEcdsaCompact, identity.secret.sign_recoverable(crypto::sha256(encode(pre_key.public_key)))};
  PrivateKeyBundleV1 keys{std::move(identity), {}};
  keys.pre_keys.push_back(std::move(pre_key));
  return IdentityV1{std::move(wallet), std::move(keys)};
}

// A length-delimited protobuf field.
Bytes field(std::uint8_t tag, const Bytes& body) {
  Bytes out{tag};
  std::size_t n = body.size();
  for (; n >= 0x80; n >>= 7) out.push_back(static_cast<std::uint8_t>(n | 0x80));
  out.push_back(static_cast<std::uint8_t>(n));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

class XmtpMessageV1 : public ::testing::Test {
 protected:
  FixedRng rng_{21};
  IdentityV1 alice_ = make_identity(rng_);
  IdentityV1 bob_ = make_identity(rng_);
};

TEST_F(XmtpMessageV1, HeaderAndMessageRoundTrip) {
  auto sealed = seal_message_v1(alice_.keys, public_bundle(bob_.keys), as_bytes("hi"), kMs + 5, rng_);
  ASSERT_TRUE(sealed) << sealed.error().message;
  EXPECT_EQ(sealed->header_bytes, encode(sealed->header));
  const Bytes bytes = encode(*sealed);
  auto decoded = decode_message_v1(bytes);
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(encode(*decoded), bytes);
  EXPECT_EQ(decoded->header.timestamp, kMs + 5);
  EXPECT_EQ(encode(decoded->header.sender), encode(public_bundle(alice_.keys)));
  EXPECT_EQ(encode(decoded->header.recipient), encode(public_bundle(bob_.keys)));
}

TEST_F(XmtpMessageV1, BothSidesOpen) {
  auto sealed = seal_message_v1(alice_.keys, public_bundle(bob_.keys), as_bytes("hello bob"), kMs, rng_);
  ASSERT_TRUE(sealed) << sealed.error().message;
  auto decoded = decode_message_v1(encode(*sealed));
  ASSERT_TRUE(decoded);
  for (const auto* reader : {&bob_.keys, &alice_.keys}) {
    auto opened = open_message_v1(*reader, *decoded);
    ASSERT_TRUE(opened) << opened.error().message;
    EXPECT_EQ(as_chars(*opened), "hello bob");
  }
  auto sender = sender_wallet(decoded->header);
  ASSERT_TRUE(sender) << sender.error().message;
  EXPECT_EQ(*sender, crypto::EthAddress::from_public_key(alice_.wallet.public_key()));
}

TEST_F(XmtpMessageV1, AThirdPartyCannotOpen) {
  auto eve = make_identity(rng_);
  auto sealed = seal_message_v1(alice_.keys, public_bundle(bob_.keys), as_bytes("secret"), kMs, rng_);
  ASSERT_TRUE(sealed);
  auto opened = open_message_v1(eve.keys, *sealed);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, make_error_code(Errc::kMalformed));
}

TEST_F(XmtpMessageV1, TamperedHeaderOrCiphertextIsRefused) {
  auto sealed = seal_message_v1(alice_.keys, public_bundle(bob_.keys), as_bytes("pay 1"), kMs, rng_);
  ASSERT_TRUE(sealed);
  auto other_time = *sealed;
  other_time.header.timestamp += 1;
  other_time.header_bytes = encode(other_time.header);  // the header is the AAD
  auto opened = open_message_v1(bob_.keys, other_time);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, make_error_code(crypto::Errc::kDecryptFailed));
  auto flipped = *sealed;
  flipped.ciphertext.payload.back() ^= 0x80;
  EXPECT_FALSE(open_message_v1(bob_.keys, flipped));
}

TEST_F(XmtpMessageV1, UnsignedOrForeignPreKeyIsRefused) {
  auto bundle = public_bundle(bob_.keys);
  bundle.pre_key.signature.reset();
  auto unsigned_pre_key = seal_message_v1(alice_.keys, bundle, as_bytes("x"), kMs, rng_);
  ASSERT_FALSE(unsigned_pre_key);
  EXPECT_EQ(unsigned_pre_key.error().code, make_error_code(crypto::Errc::kBadSignature));
  // A pre-key signed by someone else's identity key.
  bundle = public_bundle(bob_.keys);
  bundle.pre_key.signature = alice_.keys.pre_keys.front().public_key.signature;
  EXPECT_FALSE(seal_message_v1(alice_.keys, bundle, as_bytes("x"), kMs, rng_));
  // The Flutter quirk: a pre-key signature filed as wallet_ecdsa_compact still counts.
  bundle = public_bundle(bob_.keys);
  bundle.pre_key.signature->kind = SignatureKind::kWalletEcdsaCompact;
  EXPECT_TRUE(seal_message_v1(alice_.keys, bundle, as_bytes("x"), kMs, rng_));
}

TEST_F(XmtpMessageV1, SharedSecretIsSymmetric) {
  const auto& alice_pre = alice_.keys.pre_keys.front().secret.public_key();
  const auto& bob_pre = bob_.keys.pre_keys.front().secret.public_key();
  auto sender = shared_secret(alice_.keys, alice_pre, public_bundle(bob_.keys), false);
  auto recipient = shared_secret(bob_.keys, bob_pre, public_bundle(alice_.keys), true);
  ASSERT_TRUE(sender && recipient);
  EXPECT_TRUE(std::equal(sender->expose().begin(), sender->expose().end(), recipient->expose().begin()));
  auto no_such_pre_key = shared_secret(alice_.keys, bob_pre, public_bundle(bob_.keys), false);
  ASSERT_FALSE(no_such_pre_key);
  EXPECT_EQ(no_such_pre_key.error().code, make_error_code(Errc::kMalformed));
}

TEST_F(XmtpMessageV1, VersionsAreKeptApart) {
  auto sealed = seal_message_v1(alice_.keys, public_bundle(bob_.keys), as_bytes("v1"), kMs, rng_);
  ASSERT_TRUE(sealed);
  auto as_v2 = decode_message_v2(encode(*sealed));
  ASSERT_FALSE(as_v2);
  EXPECT_EQ(as_v2.error().code, make_error_code(Errc::kBadVersion));
  const MessageHeaderV2 header{1, "/xmtp/0/m-abc/proto"};
  const MessageV2 v2{encode(header), header, sealed->ciphertext, std::nullopt, std::nullopt};
  auto as_v1 = decode_message_v1(encode(v2));
  ASSERT_FALSE(as_v1);
  EXPECT_EQ(as_v1.error().code, make_error_code(Errc::kBadVersion));
}

TEST_F(XmtpMessageV1, IncompleteHeadersAndGarbageAreRefused) {
  auto sealed = seal_message_v1(alice_.keys, public_bundle(bob_.keys), as_bytes("v1"), kMs, rng_);
  ASSERT_TRUE(sealed);
  const Bytes bytes = encode(*sealed);
  for (std::size_t cut = 1; cut < bytes.size(); cut += 7) {
    EXPECT_FALSE(decode_message_v1(ByteView(bytes).first(cut))) << cut;
  }
  // A header with a sender bundle only.
  auto decoded = decode_message_header_v1(field(0x0a, encode(public_bundle(alice_.keys))));
  ASSERT_FALSE(decoded);
  EXPECT_NE(decoded.error().message.find("recipient"), std::string::npos);
  EXPECT_FALSE(decode_message_v1(Bytes{}));
}

}  // namespace
}  // namespace keylink::wire::xmtp
