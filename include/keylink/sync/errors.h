// Errors of the sync layer, sorted by what the caller should do. Every one of them is a refusal of
// something that came from the network: drop the input, keep the state, and (for kRollback and
// kNotEnabled) show the reason to the user.
#pragma once

#include <system_error>

#include "keylink/base/result.h"

namespace keylink::sync {

enum class Errc {
  kMalformed = 1,  // bytes that do not decode as the format says: drop them
  kTooLarge,       // over a documented limit: drop them
  kBadSignature,   // not signed by the account's identity key or by the installation it names: drop
  kRollback,       // an installation list older than (or as old as) ours that adds nothing: drop, log
  kUnknownEpoch,   // sealed with a device-group key we do not hold (or no longer): drop
  kNotEnabled,     // from a device that is removed or not in the list (a ghost): drop, never trust
  kDecryptFailed,  // the AEAD seal does not open: wrong key or altered bytes: drop
  kNotForUs,       // a key rotation that seals nothing to this installation (it was removed)
};

const std::error_category& sync_category() noexcept;
inline std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), sync_category()}; }

}  // namespace keylink::sync

template <>
struct std::is_error_code_enum<keylink::sync::Errc> : std::true_type {};
