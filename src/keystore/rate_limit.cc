#include "keylink/keystore/rate_limit.h"

#include <algorithm>

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

bool RateLimiter::take_request(std::string_view approval, TimePoint now) {
  Buckets& b = buckets(approval, now);
  if (b.requests < 1 || b.items < 1) return false;
  b.requests -= 1;
  return true;
}

bool RateLimiter::take_items(std::string_view approval, std::size_t items, TimePoint now) {
  Buckets& b = buckets(approval, now);
  const auto wanted = static_cast<double>(items);
  if (b.items < wanted) return false;
  b.items -= wanted;
  return true;
}

void RateLimiter::refill(std::string_view approval) {
  if (auto found = by_approval_.find(approval); found != by_approval_.end()) by_approval_.erase(found);
}

}  // namespace keylink::keystore
