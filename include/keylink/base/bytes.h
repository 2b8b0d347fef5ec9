// Byte buffers and views, the currency of every layer.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace keylink {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

inline ByteView as_bytes(std::string_view text) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

inline std::string_view as_chars(ByteView bytes) noexcept {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

inline Bytes to_bytes(std::string_view text) {
  ByteView view = as_bytes(text);
  return {view.begin(), view.end()};
}

// Concatenates byte ranges: concat(a, b, c).
template <class... Parts>
Bytes concat(const Parts&... parts) {
  Bytes out;
  out.reserve((std::size(parts) + ...));
  (out.insert(out.end(), std::begin(parts), std::end(parts)), ...);
  return out;
}

}  // namespace keylink
