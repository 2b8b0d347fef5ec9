// JSON text in and out on the message path, where nlohmann::json's own lexer and serializer, a byte at a
// time, cost more than the rest of the work on a long string (a base64 batch of keystore requests, a
// WalletConnect envelope). The values are nlohmann::json all the same; only the text is made faster.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "keylink/base/result.h"

namespace keylink::wire {

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

// Appends text as a JSON string literal, quotes included, escaped as nlohmann::json escapes it.
// REQUIRES: text is valid UTF-8 (bytes >= 0x80 are copied as they are).
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
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: out += {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
    }
    clean = at + 1;
  }
  out.push_back('"');
}

// Appends the compact text of `value`, byte for byte what value.dump(-1, ' ', false, replace) gives
// (invalid UTF-8 in a string becomes U+FFFD), with long strings copied in runs, not a byte at a time.
void append_json(std::string& out, const nlohmann::json& value);

inline std::string dump_json(const nlohmann::json& value) {
  std::string out;
  append_json(out, value);
  return out;
}

// Parses JSON text (RFC 8259, UTF-8) into the value nlohmann::json::parse gives, nested at most
// `max_depth` levels. Fails with kMalformed (not JSON, not UTF-8) or kTooLarge (nested deeper).
// simdjson does the parsing; text it refuses that nlohmann::json accepts (integers past 64 bits, which
// become doubles) goes to nlohmann::json. Unlike nlohmann::json, a NUL byte does not end the text.
Result<nlohmann::json> parse_json(std::string_view text, int max_depth);

}  // namespace keylink::wire
