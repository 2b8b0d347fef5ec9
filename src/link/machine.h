// Pieces both link machines share: how a failure reads and how a message goes out. Internal.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "channel.h"
#include "keylink/link/actions.h"

namespace keylink::link::detail {

// What a Failed reason adds when messages on the topic did not open: the likely causes, for a person.
inline std::string with_unopened(std::string reason, std::uint32_t unopened) {
  if (unopened == 0) return reason;
  reason += "; " + std::to_string(unopened) + (unopened == 1 ? " message" : " messages") +
            " on the link topic did not open (someone else publishing to it, a replay of an earlier link, or a "
            "message altered on the way)";
  return reason;
}

inline Publish publish(Channel& channel, MessageType type, ByteView body, const ChunkHeader* chunk = nullptr) {
  return Publish{channel.send_topic(), channel.seal(type, body, nullptr, chunk)};
}

// An Actions vector of these actions (a braced list would copy, and some actions are move-only).
template <class... Parts>
Actions actions(Parts&&... parts) {
  Actions out;
  (out.emplace_back(std::forward<Parts>(parts)), ...);
  return out;
}

inline bool due(std::optional<TimePoint> deadline, TimePoint now) { return deadline && now >= *deadline; }

}  // namespace keylink::link::detail
