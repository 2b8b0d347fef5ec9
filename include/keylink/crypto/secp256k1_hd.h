// What BIP32 derivation needs from secp256k1 beyond Secp256k1PrivateKey: adding a tweak to a private key
// modulo the group order, the 33-byte compressed public key, and HASH160 (Bitcoin's key identifier).
// All thread-safe.
#pragma once

#include <array>
#include <cstdint>

#include "keylink/base/bytes.h"
#include "keylink/base/result.h"
#include "keylink/base/secret.h"
#include "keylink/crypto/secp256k1.h"

namespace keylink::crypto {

// 0x02 or 0x03 (the parity of Y) ‖ X.
using Secp256k1CompressedKey = std::array<std::uint8_t, 33>;
Secp256k1CompressedKey secp256k1_compress(const Secp256k1PublicKey& public_key);

// (key + tweak) mod n. Fails with Errc::kBadKey when the tweak is not below the group order n or the
// sum is zero (BIP32: "the resulting key is invalid; proceed with the next index").
// REQUIRES: key is a valid private key (1 <= key < n).
Result<Secret<32>> secp256k1_tweak_add(const Secret<32>& key, const Secret<32>& tweak);

// RIPEMD-160(SHA-256(data)).
std::array<std::uint8_t, 20> hash160(ByteView data);

}  // namespace keylink::crypto
