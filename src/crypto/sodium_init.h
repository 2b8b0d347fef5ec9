// Internal: libsodium must be initialized before its first use.
#pragma once

namespace keylink::crypto::detail {

// Runs sodium_init() once (a function-local static); cheap after the first call. Thread-safe.
// Aborts if libsodium cannot initialize, since no crypto can run then.
void ensure_sodium();

}  // namespace keylink::crypto::detail
