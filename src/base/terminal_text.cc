#include "keylink/base/terminal_text.h"

#include <cstdint>
#include <cstdio>
#include <optional>

namespace keylink {
namespace {

struct Decoded {
  char32_t code_point = 0;
  std::size_t length = 0;
};

bool is_continuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

// The code point that starts at text[at], when it is well-formed UTF-8 (RFC 3629, section 4: no
// overlongs, no surrogates, nothing above U+10FFFF).
std::optional<Decoded> decode_at(std::string_view text, std::size_t at) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[at + i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return Decoded{lead, 1};
  std::size_t length = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  char32_t value = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    value = lead & 0x1Fu;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    value = lead & 0x0Fu;
    if (lead == 0xE0) low = 0xA0;   // overlong
    if (lead == 0xED) high = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    value = lead & 0x07u;
    if (lead == 0xF0) low = 0x90;   // overlong
    if (lead == 0xF4) high = 0x8F;  // above U+10FFFF
  } else {
    return std::nullopt;
  }
  if (text.size() - at < length) return std::nullopt;
  if (byte(1) < low || byte(1) > high) return std::nullopt;
  for (std::size_t i = 1; i < length; ++i) {
    if (!is_continuation(byte(i))) return std::nullopt;
    value = (value << 6) | (byte(i) & 0x3Fu);
  }
  return Decoded{value, length};
}

// Code points a terminal acts on, or that reorder what follows them, beyond C0 and DEL.
bool is_hidden_control(char32_t c) {
  return (c >= 0x80 && c <= 0x9F) || c == 0x061C || c == 0x200E || c == 0x200F || (c >= 0x2028 && c <= 0x202E) ||
         (c >= 0x2066 && c <= 0x2069);
}

void append_hex_byte(std::string& out, unsigned char byte) {
  char escaped[8];
  std::snprintf(escaped, sizeof escaped, "\\x%02x", byte);
  out += escaped;
}

}  // namespace

std::string escape_for_terminal(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t at = 0; at < text.size();) {
    const auto decoded = decode_at(text, at);
    if (!decoded) {
      append_hex_byte(out, static_cast<unsigned char>(text[at]));
      ++at;
      continue;
    }
    const char32_t c = decoded->code_point;
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7F) {
      append_hex_byte(out, static_cast<unsigned char>(c));
    } else if (is_hidden_control(c)) {
      char escaped[16];
      std::snprintf(escaped, sizeof escaped, "\\u{%x}", static_cast<unsigned>(c));
      out += escaped;
    } else {
      out.append(text.substr(at, decoded->length));
    }
    at += decoded->length;
  }
  return out;
}

bool is_printable_text(std::string_view text, bool allow_newlines) {
  for (std::size_t at = 0; at < text.size();) {
    const auto decoded = decode_at(text, at);
    if (!decoded) return false;
    const char32_t c = decoded->code_point;
    const bool allowed = allow_newlines && c == '\n';
    if (!allowed && (c < 0x20 || c == 0x7F || is_hidden_control(c))) return false;
    at += decoded->length;
  }
  return true;
}

}  // namespace keylink
