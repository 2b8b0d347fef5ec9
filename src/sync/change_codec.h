// The encoding of a Change inside batches and stored states (internal).
#pragma once

#include "keylink/sync/change.h"
#include "sync/codec.h"

namespace keylink::sync {

// Lamport clocks above this are refused, so that clock + 1 never overflows.
inline constexpr std::uint64_t kMaxClock = std::uint64_t{1} << 62;

void write_change(codec::Writer& w, const Change& change);
// Leaves the reader failed on a key or text over its limit; does not validate() the change.
Change read_change(codec::Reader& r);
// validate() and a stamp: clock in 1..kMaxClock.
Result<void> validate_stamped(const Change& change);

}  // namespace keylink::sync
