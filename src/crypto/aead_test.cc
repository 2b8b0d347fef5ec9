#include "keylink/crypto/aead.h"

#include <gtest/gtest.h>

#include "keylink/crypto/errors.h"
#include "testing/vectors.h"

namespace keylink::crypto {
namespace {

using testing::hex;
using testing::hex_array;
using testing::hex_secret;
using testing::load_vectors;

using Seal = Bytes (*)(const Secret<32>&, const AeadNonce&, ByteView, ByteView);
using Open = Result<Bytes> (*)(const Secret<32>&, const AeadNonce&, ByteView, ByteView);

struct Cipher {
  const char* name;
  Seal seal;
  Open open;
};
Secret<32> random_key(Rng& rng) {
  Secret<32> key;
  rng.fill(key.expose_mutable());
  return key;
}

const Cipher kCiphers[] = {{"chacha20poly1305", chacha20poly1305_seal, chacha20poly1305_open},
                           {"aes256gcm", aes256gcm_seal, aes256gcm_open}};

void check_vectors(const std::string& file, const char* nonce_field, Seal seal, Open open) {
  for (const auto& v : load_vectors(file)) {
    const auto key = hex_secret<32>(v.at("key"));
    const auto nonce = hex_array<12>(v.at(nonce_field));
    const Bytes plaintext = hex(v.at("plaintext")), aad = hex(v.at("aad"));
    const Bytes sealed = seal(key, nonce, plaintext, aad);
    EXPECT_EQ(to_hex(sealed), v.at("ciphertext") + v.at("tag"));
    auto opened = open(key, nonce, hex(v.at("ciphertext") + v.at("tag")), aad);
    ASSERT_TRUE(opened) << opened.error().message;
    EXPECT_EQ(*opened, plaintext);
  }
}

TEST(Aead, Rfc8439ChaCha20Poly1305Vectors) {
  check_vectors("rfc8439_chacha20poly1305.txt", "nonce", chacha20poly1305_seal, chacha20poly1305_open);
}

TEST(Aead, NistAes256GcmVectors) { check_vectors("nist_aes_gcm.txt", "iv", aes256gcm_seal, aes256gcm_open); }

TEST(Aead, FlippedBitFailsToDecrypt) {
  FixedRng rng(6);
  const Secret<32> key = random_key(rng);
  const AeadNonce nonce = rng.bytes<12>();
  for (const auto& cipher : kCiphers) {
    Bytes sealed = cipher.seal(key, nonce, to_bytes("hello"), to_bytes("header"));
    for (size_t i : {size_t{0}, sealed.size() - 1}) {  // ciphertext and tag
      Bytes tampered = sealed;
      tampered[i] ^= 0x01;
      auto opened = cipher.open(key, nonce, tampered, to_bytes("header"));
      ASSERT_FALSE(opened) << cipher.name;
      EXPECT_EQ(opened.error().code, Errc::kDecryptFailed);
      EXPECT_EQ(opened.error().message, "AEAD open failed: wrong key or tampered data");
    }
    EXPECT_FALSE(cipher.open(key, nonce, sealed, to_bytes("other header"))) << cipher.name;
  }
}

TEST(Aead, TooShortIsMalformed) {
  const Secret<32> key;
  const AeadNonce nonce{};
  for (const auto& cipher : kCiphers) {
    auto opened = cipher.open(key, nonce, Bytes(kAeadTagSize - 1, 0), {});
    ASSERT_FALSE(opened) << cipher.name;
    EXPECT_EQ(opened.error().code, Errc::kMalformed);
  }
  std::array<std::uint8_t, 1> out{};
  auto opened = chacha20poly1305_open_into(key, nonce, Bytes(3, 0), {}, std::span<std::uint8_t>(out).first(0));
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, Errc::kMalformed);
}

TEST(Aead, EmptyPlaintextRoundTrips) {
  const Secret<32> key;
  const AeadNonce nonce{};
  for (const auto& cipher : kCiphers) {
    const Bytes sealed = cipher.seal(key, nonce, {}, {});
    EXPECT_EQ(sealed.size(), kAeadTagSize);
    auto opened = cipher.open(key, nonce, sealed, {});
    ASSERT_TRUE(opened) << cipher.name;
    EXPECT_TRUE(opened->empty());
  }
}

TEST(Aead, IntoFormsMatchAndZeroOnFailure) {
  FixedRng rng(7);
  const Secret<32> key = random_key(rng);
  const AeadNonce nonce = rng.bytes<12>();
  const Bytes plaintext = to_bytes("secret message");
  Bytes sealed(plaintext.size() + kAeadTagSize);
  chacha20poly1305_seal_into(key, nonce, plaintext, {}, sealed);
  EXPECT_EQ(sealed, chacha20poly1305_seal(key, nonce, plaintext));
  Bytes out(plaintext.size());
  ASSERT_TRUE(chacha20poly1305_open_into(key, nonce, sealed, {}, out));
  EXPECT_EQ(out, plaintext);
  sealed[0] ^= 0x80;
  EXPECT_FALSE(chacha20poly1305_open_into(key, nonce, sealed, {}, out));
  EXPECT_EQ(out, Bytes(plaintext.size(), 0));
}

}  // namespace
}  // namespace keylink::crypto
