// Token buckets per approval (docs/keystore.md, "Rate limits"): one for requests, one for the items
// they carry. The buckets live in memory, in the Gate that owns this: a restart refills them, which
// costs an app at most one burst more; the pause a limit sets is kept in the approval (paused_until)
// and survives the restart.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include "keylink/base/clock.h"

namespace keylink::keystore {

struct RateLimits {
  double requests_per_second = 50;
  double request_burst = 500;
  double items_per_second = 5'000;
  double item_burst = 50'000;
  std::chrono::seconds pause{60};  // how long an approval over either limit is refused
};

// The log's share of the requests a channel sends that do not prove themselves (no approval on the
// channel, params of the wrong shape, an unknown method, a bad app signature): 1 a second per channel,
// bursts of 20. Past it they are refused all the same, unlogged, so that someone who holds a session
// key but not the app key cannot fill the wallet's disk.
inline constexpr RateLimits kUnprovenLogLimits{1, 20, 1, 20, std::chrono::seconds(0)};

// Which limit a request went over.
enum class Over { kNothing, kRequests, kItems };

// Thread-compatible. Buckets start full.
class RateLimiter {
 public:
  explicit RateLimiter(RateLimits limits = {}) : limits_(limits) {}

  // Takes one request from the approval's bucket. Takes nothing and says which is over when the
  // request bucket is empty, or the item bucket is (the request would be over it whatever it carries).
  Over take_request(std::string_view approval, TimePoint now);
  // Takes `items` from the approval's item bucket; kItems (taking nothing) when it holds fewer.
  Over take_items(std::string_view approval, std::size_t items, TimePoint now);
  // "50 requests/s (bursts of 500)". REQUIRES: over != kNothing.
  std::string describe(Over over) const;
  // Both buckets full again: the user lifted the approval's pause.
  void refill(std::string_view approval);

  const RateLimits& limits() const noexcept { return limits_; }

 private:
  struct Buckets {
    double requests;
    double items;
    TimePoint updated;
  };
  Buckets& buckets(std::string_view approval, TimePoint now);

  RateLimits limits_;
  std::map<std::string, Buckets, std::less<>> by_approval_;
};

}  // namespace keylink::keystore
