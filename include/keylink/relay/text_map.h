// Hash maps keyed by text that are looked up with a std::string_view, without making a string of it.
// absl's maps do that only for absl::string_view, which Debian's absl keeps as a type of its own.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <absl/container/flat_hash_map.h>
#include <absl/container/node_hash_map.h>
#include <absl/hash/hash.h>

namespace keylink::relay {

// Debian's absl has no hash of std::string_view of its own: given one, absl::Hash falls back to
// std::hash, which is several times slower on a 64-character topic.
inline absl::string_view absl_text(std::string_view text) { return {text.data(), text.size()}; }

struct TextHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const noexcept { return absl::HashOf(absl_text(text)); }
};

struct TextEq {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const noexcept { return a == b; }
};

template <class Value>
using TextMap = absl::flat_hash_map<std::string, Value, TextHash, TextEq>;
// Its values stay where they are while it grows: for values something points at.
template <class Value>
using TextNodeMap = absl::node_hash_map<std::string, Value, TextHash, TextEq>;

}  // namespace keylink::relay
