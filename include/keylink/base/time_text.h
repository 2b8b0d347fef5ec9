// A time as text for people and logs: strftime's format, in UTC or in the machine's zone.
#pragma once

#include <ctime>
#include <string>

#include "keylink/base/clock.h"

namespace keylink {

enum class Zone { kUtc, kLocal };

// REQUIRES: the text `format` makes is shorter than 64 bytes.
inline std::string format_time(TimePoint time, const char* format, Zone zone) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm parts{};
  if (zone == Zone::kUtc) {
    gmtime_r(&seconds, &parts);
  } else {
    localtime_r(&seconds, &parts);
  }
  char text[64];
  return std::string(text, std::strftime(text, sizeof text, format, &parts));
}

}  // namespace keylink
