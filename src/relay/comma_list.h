// A comma-separated list as flags and environment variables give it (relay URLs, NATS servers): its
// entries with the spaces around each taken off, empty ones kept for the caller to refuse.
#pragma once

#include <algorithm>
#include <string_view>
#include <vector>

namespace keylink::relay {

inline std::vector<std::string_view> split_comma_list(std::string_view list) {
  std::vector<std::string_view> entries;
  for (std::size_t from = 0; from <= list.size();) {
    const std::size_t comma = std::min(list.find(',', from), list.size());
    std::string_view entry = list.substr(from, comma - from);
    while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
    while (!entry.empty() && entry.back() == ' ') entry.remove_suffix(1);
    entries.push_back(entry);
    from = comma + 1;
  }
  return entries;
}

}  // namespace keylink::relay
