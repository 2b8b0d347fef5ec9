// Errors of the crypto layer, sorted by what the caller does next.
#pragma once

#include <system_error>

#include "keylink/base/result.h"

namespace keylink::crypto {

enum class Errc {
  kBadKey = 1,     // bytes that are not a valid key: ask the peer for a new one
  kWeakKey,        // a key that would give an all-zero or low-order secret: refuse the peer
  kBadSignature,   // the signature does not verify: drop the message
  kDecryptFailed,  // the AEAD tag does not match: wrong key or tampered data; drop the message
  kMalformed,      // a token or identifier that does not parse
  kUnsupported,    // a well-formed input that uses an algorithm or variant we do not accept
  kTooLarge,       // an input over the documented limit
};

const std::error_category& crypto_category() noexcept;
inline std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), crypto_category()}; }

}  // namespace keylink::crypto

template <>
struct std::is_error_code_enum<keylink::crypto::Errc> : std::true_type {};
