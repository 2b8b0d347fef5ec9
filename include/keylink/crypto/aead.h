// Authenticated encryption: ChaCha20-Poly1305 IETF (RFC 8439; WalletConnect envelopes) and AES-256-GCM
// (XMTP). Both take a 32-byte key and a 12-byte nonce and append a 16-byte tag. The caller chooses the
// nonce and must never reuse one under a key; random nonces from an Rng are the norm. Thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "keylink/base/bytes.h"
#include "keylink/base/result.h"
#include "keylink/base/secret.h"

namespace keylink::crypto {

inline constexpr std::size_t kAeadKeySize = 32;
inline constexpr std::size_t kAeadNonceSize = 12;
inline constexpr std::size_t kAeadTagSize = 16;
using AeadNonce = std::array<std::uint8_t, kAeadNonceSize>;

// Sealed bytes are ciphertext ‖ tag. The *_into forms write to a buffer the caller owns.
// REQUIRES (seal_into): out.size() == plaintext.size() + kAeadTagSize.
// REQUIRES (open_into): out.size() + kAeadTagSize == sealed.size(); fails with kMalformed when sealed is
// shorter than a tag, and with kDecryptFailed when the tag does not match (out is then zeroed).
void chacha20poly1305_seal_into(const Secret<32>& key, const AeadNonce& nonce, ByteView plaintext, ByteView aad,
                                std::span<std::uint8_t> out);
Result<void> chacha20poly1305_open_into(const Secret<32>& key, const AeadNonce& nonce, ByteView sealed, ByteView aad,
                                        std::span<std::uint8_t> out);
Bytes chacha20poly1305_seal(const Secret<32>& key, const AeadNonce& nonce, ByteView plaintext, ByteView aad = {});
Result<Bytes> chacha20poly1305_open(const Secret<32>& key, const AeadNonce& nonce, ByteView sealed, ByteView aad = {});

Bytes aes256gcm_seal(const Secret<32>& key, const AeadNonce& nonce, ByteView plaintext, ByteView aad = {});
Result<Bytes> aes256gcm_open(const Secret<32>& key, const AeadNonce& nonce, ByteView sealed, ByteView aad = {});

}  // namespace keylink::crypto
