// Errors of the link layer (device linking), sorted by what the caller does next.
#pragma once

#include <system_error>

#include "keylink/base/result.h"

namespace keylink::link {

enum class Errc {
  kMalformed = 1,  // a link URI or code that does not parse: ask the user to paste or scan it again
  kTooLarge,       // over a documented limit
  kExpired,        // the URI or the one-time code is too old: make a new one
  kWrongCode,      // the URI does not carry the code this device shows: the code is now burnt, make a new one
  kCodeUsed,       // the one-time code was checked once already: make a new one
  kUnsupported,    // a well-formed URI for something this version does not do (other methods, relay protocol)
};

const std::error_category& link_category() noexcept;
inline std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), link_category()}; }

}  // namespace keylink::link

template <>
struct std::is_error_code_enum<keylink::link::Errc> : std::true_type {};
