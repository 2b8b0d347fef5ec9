// WalletConnect envelopes: the encrypted form of every JSON-RPC message between two WalletConnect peers.
//
//   type 0: 0x00 ‖ nonce(12) ‖ ciphertext ‖ tag(16)          sealed with a shared symKey
//   type 1: 0x01 ‖ sender public key(32) ‖ nonce(12) ‖ … ‖ tag  key = derive_sym_key(receiver, sender)
//   type 2: 0x02 ‖ plaintext                                  link mode only, never from a relay
// carried as standard padded base64. ChaCha20-Poly1305 IETF, random nonce, no associated data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "keylink/base/bytes.h"
#include "keylink/base/result.h"
#include "keylink/base/rng.h"
#include "keylink/base/secret.h"
#include "keylink/crypto/aead.h"
#include "keylink/crypto/x25519.h"

namespace keylink::wire {

enum class EnvelopeType : std::uint8_t { kType0 = 0, kType1 = 1, kType2 = 2 };

// The largest base64 envelope decode() accepts by default: a relay message is at most 256 KiB.
inline constexpr std::size_t kMaxEnvelopeText = 1 << 20;

// Sealing returns the base64 text that goes on the relay.
std::string seal_type0(const Secret<32>& sym_key, std::string_view plaintext, Rng& rng);
std::string seal_type1(const Secret<32>& sym_key, const crypto::X25519PublicKey& sender_public_key,
                       std::string_view plaintext, Rng& rng);
std::string encode_type2(std::string_view plaintext);

// A decoded, not yet opened envelope.
struct Envelope {
  EnvelopeType type = EnvelopeType::kType0;
  std::optional<crypto::X25519PublicKey> sender_public_key;  // type 1 only
  crypto::AeadNonce nonce{};                                 // types 0 and 1
  Bytes body;  // ciphertext ‖ tag for types 0 and 1; the plaintext for type 2

  // Fails with kTooLarge over max_text bytes, kMalformed for bad base64 or a short envelope, and
  // kBadVersion for an unknown type byte.
  static Result<Envelope> decode(std::string_view text, std::size_t max_text = kMaxEnvelopeText);

  // The plaintext of a type 0 or 1 envelope (for type 1 pass derive_sym_key(mine, *sender_public_key)).
  // Fails with crypto::Errc::kDecryptFailed for a wrong key or tampered bytes, and with kBadVersion for
  // type 2, which has nothing to open.
  Result<std::string> open(const Secret<32>& sym_key) const;
};

}  // namespace keylink::wire
