// message_api.v1.Envelope{content_topic, timestamp_ns, message}: what travels on an XMTP topic.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "keylink/base/bytes.h"
#include "keylink/base/result.h"

namespace keylink::wire::xmtp {

inline constexpr std::size_t kMaxEnvelopeSize = 4 * 1024 * 1024;

struct Envelope {
  std::string content_topic;
  std::uint64_t timestamp_ns = 0;
  Bytes message;
};

// Refuses an empty topic and a topic that is not valid UTF-8 (protobuf strings must be).
Result<Envelope> decode_envelope(ByteView bytes);
Bytes encode(const Envelope& envelope);

}  // namespace keylink::wire::xmtp
