// XMTP's symmetric primitive, "AES-256-GCM-HKDF-SHA256": the key is HKDF-SHA256(secret, salt =
// hkdf_salt, info = empty) to 32 bytes; the payload is AES-256-GCM(key, gcm_nonce, plaintext, aad).
// Every XMTP ciphertext (V1 and V2 messages, invitations, the private-store backup) is this shape.
// The protobuf form (message_contents.Ciphertext) is encoded and decoded by keylink/wire/xmtp.
// Thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "keylink/base/bytes.h"
#include "keylink/base/result.h"
#include "keylink/base/rng.h"

namespace keylink::crypto::xmtp {

inline constexpr std::size_t kHkdfSaltSize = 32;
inline constexpr std::size_t kGcmNonceSize = 12;
inline constexpr std::size_t kGcmTagSize = 16;

struct Ciphertext {
  std::array<std::uint8_t, kHkdfSaltSize> hkdf_salt{};
  std::array<std::uint8_t, kGcmNonceSize> gcm_nonce{};
  Bytes payload;  // ciphertext ‖ 16-byte tag

  friend bool operator==(const Ciphertext&, const Ciphertext&) = default;
};

// Draws a fresh salt and nonce from rng. The secret may be any length (a 195-byte 3DH secret, a 32-byte
// key material, 65 signature bytes).
Ciphertext seal(ByteView secret, ByteView plaintext, ByteView aad, Rng& rng);
// Fails with crypto::Errc::kDecryptFailed when the tag does not match (wrong secret, wrong aad, tampered
// bytes) and kMalformed when the payload is shorter than a tag.
Result<Bytes> open(ByteView secret, const Ciphertext& ciphertext, ByteView aad);

}  // namespace keylink::crypto::xmtp
