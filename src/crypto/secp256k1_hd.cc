#include "keylink/crypto/secp256k1_hd.h"

#include <openssl/evp.h>
#include <secp256k1.h>

#include <algorithm>

#include "keylink/base/check.h"
#include "keylink/crypto/errors.h"
#include "keylink/crypto/hash.h"

namespace keylink::crypto {

Secp256k1CompressedKey secp256k1_compress(const Secp256k1PublicKey& public_key) {
  Secp256k1CompressedKey out{};
  // SEC 1 §2.3.3: the prefix carries the parity of Y, the low bit of its last byte.
  out[0] = static_cast<std::uint8_t>(0x02 | (public_key[64] & 1));
  std::copy_n(public_key.begin() + 1, 32, out.begin() + 1);
  return out;
}

Result<Secret<32>> secp256k1_tweak_add(const Secret<32>& key, const Secret<32>& tweak) {
  Secret<32> sum = key.clone();
  // Scalar arithmetic only: the static context suffices (no signing, no blinding needed).
  if (secp256k1_ec_seckey_tweak_add(secp256k1_context_static, sum.expose_mutable().data(), tweak.expose().data()) !=
      1) {
    return fail(Errc::kBadKey, "derived key out of range: the tweak is not below the group order or the sum is zero");
  }
  return sum;
}

std::array<std::uint8_t, 20> hash160(ByteView data) {
  const Digest32 inner = sha256(data);
  std::array<std::uint8_t, 20> out{};
  unsigned int size = 0;
  // OpenSSL 3 serves RIPEMD-160 from the default provider since 3.0.7.
  KEYLINK_CHECK(EVP_Digest(inner.data(), inner.size(), out.data(), &size, EVP_ripemd160(), nullptr) == 1);
  KEYLINK_CHECK(size == out.size());
  return out;
}

}  // namespace keylink::crypto
