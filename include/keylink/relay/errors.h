// Errors of the relay layer that are not about one request (those are JSON-RPC errors on the wire).
#pragma once

#include <system_error>

#include "keylink/base/result.h"

namespace keylink::relay {

enum class Errc {
  kBadAddress = 1,   // cannot listen where asked
  kBadOption,        // a flag out of range
  kRefused,          // the relay refused a request (a publish): the message says why; do not send it again
  kNotAcknowledged,  // no answer from the relay after the bounded attempts: the message stays queued
  kCluster,          // the cluster's NATS servers cannot be reached, refused this node, or sent what does not parse
};

const std::error_category& relay_category() noexcept;
inline std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), relay_category()}; }

}  // namespace keylink::relay

template <>
struct std::is_error_code_enum<keylink::relay::Errc> : std::true_type {};
