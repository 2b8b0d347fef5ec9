#include "keylink/crypto/x25519.h"

#include <sodium.h>

#include "crypto/sodium_init.h"
#include "keylink/base/check.h"
#include "keylink/crypto/errors.h"

namespace keylink::crypto {

X25519KeyPair X25519KeyPair::generate(Rng& rng) {
  Secret<32> private_key;
  rng.fill(private_key.expose_mutable());
  return from_private(std::move(private_key));
}

X25519KeyPair X25519KeyPair::from_private(Secret<32> private_key) {
  detail::ensure_sodium();
  X25519PublicKey public_key{};
  KEYLINK_CHECK(crypto_scalarmult_base(public_key.data(), private_key.expose().data()) == 0);
  return {std::move(private_key), public_key};
}

Result<Secret<32>> x25519(const Secret<32>& private_key, const X25519PublicKey& peer_public_key) {
  detail::ensure_sodium();
  Secret<32> shared;
  // libsodium returns -1 exactly when the result is all zeros, i.e. the peer sent a low-order point.
  if (crypto_scalarmult(shared.expose_mutable().data(), private_key.expose().data(), peer_public_key.data()) != 0) {
    return fail(Errc::kWeakKey,
                "X25519: the peer's public key is a low-order point (all-zero shared secret); "
                "refuse this peer");
  }
  return shared;
}

}  // namespace keylink::crypto
