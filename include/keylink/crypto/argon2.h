// Argon2id passphrase hashing (libsodium's crypto_pwhash), for keys that seal secrets at rest.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "keylink/base/bytes.h"
#include "keylink/base/result.h"
#include "keylink/base/secret.h"

namespace keylink::crypto {

using Argon2Salt = std::array<std::uint8_t, 16>;

struct Argon2Params {
  std::uint64_t iterations = 3;
  std::size_t memory_bytes = std::size_t{64} << 20;
};

// Fails with Errc::kUnsupported for parameters outside libsodium's bounds, and with kTooLarge when the
// memory cannot be allocated.
Result<Secret<32>> argon2id(ByteView passphrase, const Argon2Salt& salt, const Argon2Params& params = {});

}  // namespace keylink::crypto
