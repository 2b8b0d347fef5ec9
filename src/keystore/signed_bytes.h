// The keystore's byte layouts for what it signs or MACs (an app request, an audit entry): big-endian
// integers and length-prefixed texts, appended to a buffer.
#pragma once

#include <cstdint>
#include <string_view>

#include "keylink/base/bytes.h"

namespace keylink::keystore::detail {

// `bytes` (1 to 8) big-endian bytes of `value`.
inline void append_be(Bytes& out, std::uint64_t value, int bytes) {
  for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(value >> shift));
}

// u32be length, then the text.
inline void append_text(Bytes& out, std::string_view text) {
  append_be(out, text.size(), 4);
  out.insert(out.end(), text.begin(), text.end());
}

}  // namespace keylink::keystore::detail
