// Timeouts and limits of one link, for both machines.
#pragma once

#include <chrono>
#include <cstdint>

namespace keylink::link {

struct LinkOptions {
  // The handshake (URI read → Done) must end by the URI's expiry, and never later than this after it
  // started, whatever expiry a URI claims.
  std::chrono::seconds max_handshake_time{300};
  // During the history, the longest wait for the next chunk (B) or acknowledgment (A).
  std::chrono::seconds history_idle_timeout{60};
  // A: chunks sent ahead of B's acknowledgment.
  std::uint32_t history_window = 8;
  // B: how many times it may ask A to resend from an index before it gives up.
  std::uint32_t max_resumes = 16;
};

}  // namespace keylink::link
