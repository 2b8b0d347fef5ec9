// Hashes, MACs and key derivation. All thread-safe; none can fail except HKDF on a length over its bound.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>

#include "keylink/base/bytes.h"
#include "keylink/base/result.h"
#include "keylink/base/secret.h"

namespace keylink::crypto {

using Digest32 = std::array<std::uint8_t, 32>;
using Digest64 = std::array<std::uint8_t, 64>;

Digest32 sha256(ByteView data);
// sha256 of the parts one after the other, without joining them first.
Digest32 sha256(std::initializer_list<ByteView> parts);
Digest64 sha512(ByteView data);
// The original Keccak padding that Ethereum uses, not FIPS 202 SHA3-256.
Digest32 keccak256(ByteView data);
Digest32 hmac_sha256(ByteView key, ByteView data);

// RFC 5869 with SHA-256. An empty salt means a salt of 32 zero bytes, as the RFC says.
// REQUIRES: 0 < length <= kMaxHkdfLength, else Errc::kTooLarge.
inline constexpr std::size_t kMaxHkdfLength = 255 * 32;
Result<SecretBytes> hkdf_sha256(ByteView ikm, ByteView salt, ByteView info, std::size_t length);

// HKDF-SHA256 to exactly 32 bytes, the size of every symmetric key we use.
Secret<32> hkdf_sha256_32(ByteView ikm, ByteView salt = {}, ByteView info = {});

}  // namespace keylink::crypto
