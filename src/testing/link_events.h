// Test-only: what a LinkChannel reported, for the tests of its transports.
#pragma once

#include <string>
#include <vector>

#include "keylink/runtime/link_channel.h"

namespace keylink::testing {

struct LinkEvents {
  runtime::LinkChannelCallbacks callbacks() {
    return {.on_up = [this] { ++ups; },
            .on_message = [this](Bytes message) { messages.push_back(std::move(message)); },
            .on_down = [this](const Error& why) { downs.push_back(why); },
            .on_send_failed = [this](const Error& why) { send_failures.push_back(why); }};
  }

  int ups = 0;
  std::vector<Bytes> messages;
  std::vector<Error> downs;
  std::vector<Error> send_failures;
};

inline Bytes bytes_of(std::string_view text) { return Bytes(text.begin(), text.end()); }

// A message that says which it is: "<tag> <i>" then `size` bytes in all.
inline Bytes numbered(const std::string& tag, int i, std::size_t size = 0) {
  Bytes message = bytes_of(tag + " " + std::to_string(i));
  if (message.size() < size) message.resize(size, static_cast<std::uint8_t>(i));
  return message;
}

}  // namespace keylink::testing
