#include "keylink/wire/keys.h"

#include "keylink/base/encoding.h"
#include "keylink/crypto/hash.h"

namespace keylink::wire {

std::string topic_of(ByteView key) { return to_hex(crypto::sha256(key)); }

Result<Secret<32>> derive_sym_key(const Secret<32>& my_private_key, const crypto::X25519PublicKey& peer_public_key) {
  auto shared = crypto::x25519(my_private_key, peer_public_key);
  if (!shared) return fail(shared.error());
  return crypto::hkdf_sha256_32(shared->expose());
}

std::string hash_message(std::string_view message) { return to_hex(crypto::sha256(as_bytes(message))); }

}  // namespace keylink::wire
