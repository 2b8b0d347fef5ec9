// How the policy's tables keep times: unix milliseconds.
#pragma once

#include <chrono>
#include <cstdint>

#include "keylink/base/clock.h"

namespace keylink::keystore::detail {

inline std::int64_t to_ms(TimePoint time) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}
inline TimePoint from_ms(std::int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

}  // namespace keylink::keystore::detail
