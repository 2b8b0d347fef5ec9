// Writing JSON text by hand on the relay's frame path, where building a DOM would cost more than the
// rest of the work. Inputs are UTF-8 already checked by the parser.
#pragma once

#include <charconv>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "keylink/relay/stored_message.h"

namespace keylink::relay {

namespace detail {

// Whether any of 8 bytes is a quote, a backslash or a control character (SWAR: bytes >= 0x80, which
// UTF-8 uses, need no escaping).
inline bool needs_escape(std::uint64_t bytes) {
  constexpr std::uint64_t kOnes = 0x0101010101010101, kHighs = 0x8080808080808080;
  auto has_zero = [](std::uint64_t v) { return (v - kOnes) & ~v & kHighs; };
  const std::uint64_t below_space = (bytes - kOnes * 0x20) & ~bytes & kHighs;
  return (below_space | has_zero(bytes ^ (kOnes * '"')) | has_zero(bytes ^ (kOnes * '\\'))) != 0;
}

// The index of the first byte from `from` on that needs escaping, or text.size().
inline std::size_t find_escape(std::string_view text, std::size_t from) {
  for (; from + 8 <= text.size(); from += 8) {
    std::uint64_t bytes;
    std::memcpy(&bytes, text.data() + from, 8);
    if (needs_escape(bytes)) break;
  }
  for (; from < text.size(); ++from) {
    const auto c = static_cast<unsigned char>(text[from]);
    if (c < 0x20 || c == '"' || c == '\\') return from;
  }
  return from;
}

}  // namespace detail

// Appends text as a JSON string literal, quotes included.
inline void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (std::size_t clean = 0;;) {
    const std::size_t at = detail::find_escape(text, clean);
    out.append(text.substr(clean, at - clean));
    if (at == text.size()) break;
    const auto c = static_cast<unsigned char>(text[at]);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: out += {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
    }
    clean = at + 1;
  }
  out.push_back('"');
}

inline void append_int(std::string& out, std::int64_t value) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, end);
}

// Appends "topic":…,"message":…,"publishedAt":…,"tag":…: a message as WalletConnect clients receive it.
inline void append_message_fields(std::string& out, const StoredMessage& message) {
  out += "\"topic\":";
  append_json_string(out, message.topic);
  out += ",\"message\":";
  append_json_string(out, message.message);
  out += ",\"publishedAt\":";
  append_int(out, message.published_at_ms);
  out += ",\"tag\":";
  append_int(out, message.tag);
}

}  // namespace keylink::relay
