// HMAC-SHA512 and PBKDF2-HMAC-SHA512 (OpenSSL), the keyed hashes of BIP39 seeds and BIP32 derivation.
// All thread-safe; none can fail.
#pragma once

#include <cstdint>

#include "keylink/base/bytes.h"
#include "keylink/base/secret.h"

namespace keylink::crypto {

// RFC 2104 HMAC with SHA-512. The output is a Secret: BIP32 splits it into a private key and a chain code.
Secret<64> hmac_sha512(ByteView key, ByteView data);

// RFC 8018 PBKDF2 with HMAC-SHA512, 64 bytes of output (one block, as BIP39 uses it).
// REQUIRES: 1 <= iterations <= kMaxPbkdf2Iterations.
inline constexpr std::uint32_t kMaxPbkdf2Iterations = 10'000'000;
Secret<64> pbkdf2_hmac_sha512(ByteView password, ByteView salt, std::uint32_t iterations);

}  // namespace keylink::crypto
