// Errors of the wire layer: bytes from outside that are not what they claim to be.
#pragma once

#include <system_error>

#include "keylink/base/result.h"

namespace keylink::wire {

enum class Errc {
  kMalformed = 1,  // does not parse: drop it, or ask the sender for a new one
  kTooLarge,       // over a documented limit
  kBadVersion,     // a version or type we do not speak
  kExpired,        // was valid once: ask for a new one
};

const std::error_category& wire_category() noexcept;
inline std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), wire_category()}; }

}  // namespace keylink::wire

template <>
struct std::is_error_code_enum<keylink::wire::Errc> : std::true_type {};
