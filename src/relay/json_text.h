// Writing JSON text by hand on the relay's frame path, where building a DOM would cost more than the
// rest of the work. Inputs are UTF-8 already checked by the parser.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

#include "keylink/relay/stored_message.h"
#include "keylink/wire/json_text.h"

namespace keylink::relay {

using wire::append_json_string;

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
