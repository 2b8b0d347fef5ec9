#include "keylink/crypto/xmtp/self_encryption.h"

#include <string_view>

#include "keylink/base/encoding.h"
#include "keylink/crypto/hash.h"

namespace keylink::crypto::xmtp {
namespace {

// xmtp_user_preferences (libxmtp): the salts; changing either loses every stored preference.
constexpr std::string_view kEncryptionSalt = "XMTP_PRIVATE_PREFERENCES_ENCRYPTION";
constexpr std::string_view kTopicSalt = "XMTP_PRIVATE_PREFERENCES_TOPIC";

Secret<32> self_key(const Secp256k1PrivateKey& identity_key) {
  return hkdf_sha256_32(identity_key.secret().expose(), as_bytes(kEncryptionSalt));
}

}  // namespace

Ciphertext self_encrypt(const Secp256k1PrivateKey& identity_key, ByteView plaintext, Rng& rng) {
  // The derived key is then the "secret" of the usual AES-256-GCM-HKDF ciphertext, so it is hashed once
  // more with the ciphertext's own random salt (xmtp_v2::encryption::encrypt).
  return seal(self_key(identity_key).expose(), plaintext, identity_key.public_key(), rng);
}

Result<Bytes> self_decrypt(const Secp256k1PrivateKey& identity_key, const Ciphertext& ciphertext) {
  return open(self_key(identity_key).expose(), ciphertext, identity_key.public_key());
}

std::string private_preferences_topic_identifier(const Secp256k1PrivateKey& identity_key) {
  const auto derived = hkdf_sha256_32(identity_key.secret().expose(), as_bytes(kTopicSalt));
  return to_base64(sha256(derived.expose()), Base64::kUrlUnpadded);
}

}  // namespace keylink::crypto::xmtp
