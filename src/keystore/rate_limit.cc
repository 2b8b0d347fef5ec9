#include "keylink/keystore/rate_limit.h"

#include <algorithm>
#include <cstdint>

namespace keylink::keystore {

RateLimiter::Buckets& RateLimiter::buckets(std::string_view approval, TimePoint now) {
  auto found = by_approval_.find(approval);
  if (found == by_approval_.end()) {
    found = by_approval_.emplace(std::string(approval), Buckets{limits_.request_burst, limits_.item_burst, now}).first;
  }
  Buckets& b = found->second;
  // A clock that steps back refills nothing.
  const double elapsed = std::max(0.0, std::chrono::duration<double>(now - b.updated).count());
  b.requests = std::min(limits_.request_burst, b.requests + elapsed * limits_.requests_per_second);
  b.items = std::min(limits_.item_burst, b.items + elapsed * limits_.items_per_second);
  b.updated = std::max(b.updated, now);
  return b;
}

Over RateLimiter::take_request(std::string_view approval, TimePoint now) {
  Buckets& b = buckets(approval, now);
  if (b.requests < 1) return Over::kRequests;
  if (b.items < 1) return Over::kItems;
  b.requests -= 1;
  return Over::kNothing;
}

Over RateLimiter::take_items(std::string_view approval, std::size_t items, TimePoint now) {
  Buckets& b = buckets(approval, now);
  const auto wanted = static_cast<double>(items);
  if (b.items < wanted) return Over::kItems;
  b.items -= wanted;
  return Over::kNothing;
}

std::string RateLimiter::describe(Over over) const {
  const auto whole = [](double value) { return std::to_string(static_cast<std::int64_t>(value)); };
  if (over == Over::kRequests) {
    return whole(limits_.requests_per_second) + " requests/s (bursts of " + whole(limits_.request_burst) + ")";
  }
  return whole(limits_.items_per_second) + " items/s (bursts of " + whole(limits_.item_burst) + ")";
}

void RateLimiter::refill(std::string_view approval) {
  if (auto found = by_approval_.find(approval); found != by_approval_.end()) by_approval_.erase(found);
}

}  // namespace keylink::keystore
