#include "keylink/wire/xmtp/private_store.h"

#include <gtest/gtest.h>

#include "keylink/base/encoding.h"
#include "keylink/base/rng.h"
#include "keylink/wire/errors.h"

namespace keylink::wire::xmtp {
namespace {

EncryptedPrivateKeyBundle sample(Rng& rng) {
  EncryptedPrivateKeyBundle bundle;
  bundle.wallet_pre_key = rng.bytes<kWalletPreKeySize>();
  bundle.ciphertext = crypto::xmtp::seal(Bytes(65, 7), to_bytes("a private key bundle"), {}, rng);
  return bundle;
}

TEST(XmtpPrivateStore, RoundTrips) {
  FixedRng rng(3);
  const auto bundle = sample(rng);
  const Bytes bytes = encode(bundle);
  EXPECT_EQ(bytes[0], 0x0a);  // EncryptedPrivateKeyBundle.v1 = 1
  auto decoded = decode_encrypted_private_key_bundle(bytes);
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, bundle);
}

// The bytes of EncryptedPrivateKeyBundle{v1{wallet_pre_key = 00×32, ciphertext{salt 11×32, nonce
// 22×12, payload 33×16}}}, as @xmtp/proto encodes it.
TEST(XmtpPrivateStore, DecodesTheProtoEncoding) {
  const std::string aes = "0a20" + std::string(64, '1') + "120c" + std::string(24, '2') + "1a10" + std::string(32, '3');
  const std::string ciphertext = "0a42" + aes;  // Ciphertext.aes256_gcm_hkdf_sha256 = 1
  const std::string v1 = "0a20" + std::string(64, '0') + "1244" + ciphertext;
  const std::string wrapper = "0a68" + v1;
  auto decoded = decode_encrypted_private_key_bundle(from_hex(wrapper).value());
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(decoded->ciphertext.payload, Bytes(16, 0x33));
  EXPECT_EQ(to_hex(encode(*decoded)), wrapper);
  // The bare V1 (before the wrapper) is read too, and written wrapped.
  auto bare = decode_encrypted_private_key_bundle(from_hex(v1).value());
  ASSERT_TRUE(bare) << bare.error().message;
  EXPECT_EQ(to_hex(encode(*bare)), wrapper);
}

TEST(XmtpPrivateStore, RefusesMalformed) {
  FixedRng rng(4);
  auto bundle = sample(rng);
  Bytes bytes = encode(bundle);
  for (std::size_t cut : {std::size_t{1}, std::size_t{10}, bytes.size() - 1}) {
    auto truncated = decode_encrypted_private_key_bundle(ByteView(bytes).first(cut));
    EXPECT_FALSE(truncated) << cut;
  }
  auto empty = decode_encrypted_private_key_bundle({});
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, make_error_code(Errc::kMalformed));
  const Bytes huge(kMaxEncryptedPrivateKeyBundleSize + 1, 0);
  auto too_large = decode_encrypted_private_key_bundle(huge);
  ASSERT_FALSE(too_large);
  EXPECT_EQ(too_large.error().code, make_error_code(Errc::kTooLarge));
  // A 31-byte wallet pre-key.
  const std::string short_key =
      "0a23"
      "0a1f" +
      std::string(62, '0') + "1200";
  auto refused = decode_encrypted_private_key_bundle(from_hex(short_key).value());
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("wallet_pre_key"), std::string::npos) << refused.error().message;
}

}  // namespace
}  // namespace keylink::wire::xmtp
