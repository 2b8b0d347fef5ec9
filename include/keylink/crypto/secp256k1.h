// secp256k1, the curve of Ethereum wallets and XMTP keys (libsecp256k1).
//
// Signatures are RFC 6979 deterministic with low S, in the compact r ‖ s form plus a recovery id, which
// is what XMTP and Ethereum exchange. ECDH returns the full uncompressed point (XMTP) or its X coordinate.
// All thread-safe.
#pragma once

#include <array>
#include <cstdint>

#include "keylink/base/bytes.h"
#include "keylink/base/result.h"
#include "keylink/base/rng.h"
#include "keylink/base/secret.h"
#include "keylink/crypto/hash.h"

namespace keylink::crypto {

// 0x04 ‖ X ‖ Y.
using Secp256k1PublicKey = std::array<std::uint8_t, 65>;
using CompactSignature = std::array<std::uint8_t, 64>;

struct RecoverableSignature {
  CompactSignature compact{};  // r ‖ s, s low
  std::uint8_t recovery_id = 0;  // 0..3
};

class Secp256k1PrivateKey {
 public:
  // Fails with Errc::kBadKey for zero or a value not below the group order.
  static Result<Secp256k1PrivateKey> from_bytes(const Secret<32>& bytes);
  static Secp256k1PrivateKey generate(Rng& rng);

  const Secret<32>& secret() const noexcept { return secret_; }
  const Secp256k1PublicKey& public_key() const noexcept { return public_key_; }

  RecoverableSignature sign_recoverable(const Digest32& digest) const;
  // The shared point 0x04 ‖ X ‖ Y, as XMTP's 3DH uses it.
  Result<Secret<65>> ecdh_point(const Secp256k1PublicKey& peer) const;
  // The X coordinate of the shared point alone.
  Result<Secret<32>> ecdh_x(const Secp256k1PublicKey& peer) const;

 private:
  explicit Secp256k1PrivateKey(Secret<32> secret, const Secp256k1PublicKey& public_key)
      : secret_(std::move(secret)), public_key_(public_key) {}
  Secret<32> secret_;
  Secp256k1PublicKey public_key_;
};

// Accepts 33-byte compressed or 65-byte uncompressed encodings; fails with Errc::kBadKey otherwise.
Result<Secp256k1PublicKey> secp256k1_parse_public_key(ByteView bytes);
// Fails with kBadSignature when no key recovers.
Result<Secp256k1PublicKey> secp256k1_recover(const Digest32& digest, const RecoverableSignature& signature);
// Fails with kBadSignature when the signature does not verify or has a high S.
Result<void> secp256k1_verify(const Secp256k1PublicKey& public_key, const Digest32& digest,
                              const CompactSignature& signature);

}  // namespace keylink::crypto
