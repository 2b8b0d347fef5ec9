#include "keylink/crypto/ed25519.h"

#include <sodium.h>

#include "crypto/sodium_init.h"
#include "keylink/base/check.h"
#include "keylink/crypto/errors.h"

namespace keylink::crypto {

static_assert(crypto_sign_SECRETKEYBYTES == 64 && crypto_sign_PUBLICKEYBYTES == 32 && crypto_sign_BYTES == 64);

Ed25519KeyPair Ed25519KeyPair::from_seed(const Secret<32>& seed) {
  detail::ensure_sodium();
  Ed25519KeyPair pair;
  KEYLINK_CHECK(crypto_sign_seed_keypair(pair.public_key_.data(), pair.secret_key_.expose_mutable().data(),
                                         seed.expose().data()) == 0);
  return pair;
}

Ed25519KeyPair Ed25519KeyPair::generate(Rng& rng) {
  Secret<32> seed;
  rng.fill(seed.expose_mutable());
  return from_seed(seed);
}

Secret<32> Ed25519KeyPair::seed() const {
  // libsodium's secret key is seed ‖ public key.
  return Secret<32>(secret_key_.expose().first<32>());
}

Ed25519Signature Ed25519KeyPair::sign(ByteView message) const {
  Ed25519Signature signature{};
  KEYLINK_CHECK(crypto_sign_detached(signature.data(), nullptr, message.data(), message.size(),
                                     secret_key_.expose().data()) == 0);
  return signature;
}

Result<void> ed25519_verify(const Ed25519PublicKey& public_key, ByteView message, const Ed25519Signature& signature) {
  detail::ensure_sodium();
  // libsodium also refuses non-canonical S and small-order public keys and R.
  if (crypto_sign_verify_detached(signature.data(), message.data(), message.size(), public_key.data()) != 0) {
    return fail(Errc::kBadSignature,
                "Ed25519 signature does not verify: the data was changed or signed by another key");
  }
  return {};
}

}  // namespace keylink::crypto
