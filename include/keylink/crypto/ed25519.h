// Ed25519 signatures (RFC 8032), used for relay client identities (did:key) and their JWTs.
#pragma once

#include <array>
#include <cstdint>

#include "keylink/base/bytes.h"
#include "keylink/base/result.h"
#include "keylink/base/rng.h"
#include "keylink/base/secret.h"

namespace keylink::crypto {

using Ed25519PublicKey = std::array<std::uint8_t, 32>;
using Ed25519Signature = std::array<std::uint8_t, 64>;

// A signing key made from a 32-byte seed. Thread-safe for concurrent sign() calls.
class Ed25519KeyPair {
 public:
  static Ed25519KeyPair from_seed(const Secret<32>& seed);
  static Ed25519KeyPair generate(Rng& rng);

  const Ed25519PublicKey& public_key() const noexcept { return public_key_; }
  // The 32-byte seed, which is what gets stored.
  Secret<32> seed() const;
  Ed25519Signature sign(ByteView message) const;

 private:
  Ed25519KeyPair() = default;
  Secret<64> secret_key_;  // libsodium's seed ‖ public key
  Ed25519PublicKey public_key_{};
};

// Fails with Errc::kBadSignature when the signature does not verify, including for a non-canonical
// signature or a small-order public key.
Result<void> ed25519_verify(const Ed25519PublicKey& public_key, ByteView message, const Ed25519Signature& signature);

}  // namespace keylink::crypto
