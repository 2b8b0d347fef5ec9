// X25519 key agreement (RFC 7748), as WalletConnect uses it for session keys.
#pragma once

#include <array>
#include <cstdint>

#include "keylink/base/result.h"
#include "keylink/base/rng.h"
#include "keylink/base/secret.h"

namespace keylink::crypto {

using X25519PublicKey = std::array<std::uint8_t, 32>;

struct X25519KeyPair {
  Secret<32> private_key;
  X25519PublicKey public_key;

  static X25519KeyPair generate(Rng& rng);
  static X25519KeyPair from_private(Secret<32> private_key);
};

// The raw shared secret. Fails with Errc::kWeakKey when the peer's key gives the all-zero secret
// (a low-order point): such a peer is hostile or broken.
Result<Secret<32>> x25519(const Secret<32>& private_key, const X25519PublicKey& peer_public_key);

}  // namespace keylink::crypto
