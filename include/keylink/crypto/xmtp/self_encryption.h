// XMTP self-encryption: what a client seals for itself alone (its consent records on the private
// preferences topic), as xmtp-js 13's keystore selfEncrypt / selfDecrypt and
// getPrivatePreferencesTopicIdentifier do through libxmtp's xmtp_user_preferences crate:
//   key        = HKDF-SHA256(ikm = the identity private key (32 bytes),
//                            salt = "XMTP_PRIVATE_PREFERENCES_ENCRYPTION", info = empty)
//   ciphertext = seal(key, plaintext, aad = the identity public key, 65 bytes 04 ‖ X ‖ Y) (ciphertext.h)
//   identifier = base64url-unpadded(sha256(HKDF-SHA256(ikm = the identity private key,
//                                                      salt = "XMTP_PRIVATE_PREFERENCES_TOPIC")))
// The key is the V1 identity key (PrivateKeyBundleV1.identity_key: the V2 bundle's identity key is the
// same key). The wire form of the ciphertext, PrivatePreferencesPayload{v1}, is in
// keylink/wire/xmtp/private_preferences.h. Thread-safe.
#pragma once

#include <string>

#include "keylink/base/bytes.h"
#include "keylink/base/result.h"
#include "keylink/base/rng.h"
#include "keylink/crypto/secp256k1.h"
#include "keylink/crypto/xmtp/ciphertext.h"

namespace keylink::crypto::xmtp {

// The identity key holds its public key, the AAD.
Ciphertext self_encrypt(const Secp256k1PrivateKey& identity_key, ByteView plaintext, Rng& rng);
// Fails with crypto::Errc::kDecryptFailed when the ciphertext was sealed by another identity or altered.
Result<Bytes> self_decrypt(const Secp256k1PrivateKey& identity_key, const Ciphertext& ciphertext);

// The private preferences topic identifier, unlinkable to the identity without its private key (the
// topic is "/xmtp/0/userpreferences-" + identifier + "/proto").
std::string private_preferences_topic_identifier(const Secp256k1PrivateKey& identity_key);

}  // namespace keylink::crypto::xmtp
