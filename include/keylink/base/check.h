// KEYLINK_CHECK: a broken invariant in our own code is a bug; it aborts with the place and the condition.
// Hostile input never reaches a check: it fails with a Result error instead.
#pragma once

namespace keylink::detail {
[[noreturn]] void check_failed(const char* condition, const char* file, int line) noexcept;
}  // namespace keylink::detail

#define KEYLINK_CHECK(condition) \
  ((condition) ? static_cast<void>(0) : ::keylink::detail::check_failed(#condition, __FILE__, __LINE__))
