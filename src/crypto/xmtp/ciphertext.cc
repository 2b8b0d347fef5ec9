#include "keylink/crypto/xmtp/ciphertext.h"

#include "keylink/crypto/aead.h"
#include "keylink/crypto/errors.h"
#include "keylink/crypto/hash.h"

namespace keylink::crypto::xmtp {

Ciphertext seal(ByteView secret, ByteView plaintext, ByteView aad, Rng& rng) {
  Ciphertext out;
  rng.fill(out.hkdf_salt);
  rng.fill(out.gcm_nonce);
  // xmtp-js crypto/encryption.ts: HKDF with the random salt and no info, then AES-GCM.
  const Secret<32> key = hkdf_sha256_32(secret, out.hkdf_salt);
  out.payload = aes256gcm_seal(key, out.gcm_nonce, plaintext, aad);
  return out;
}

Result<Bytes> open(ByteView secret, const Ciphertext& ciphertext, ByteView aad) {
  if (ciphertext.payload.size() < kGcmTagSize) {
    return fail(Errc::kMalformed, "XMTP ciphertext: payload shorter than the 16-byte GCM tag");
  }
  const Secret<32> key = hkdf_sha256_32(secret, ciphertext.hkdf_salt);
  return aes256gcm_open(key, ciphertext.gcm_nonce, ciphertext.payload, aad);
}

}  // namespace keylink::crypto::xmtp
