// What the relay keeps: a published message until its ttl ends, and which client acknowledged which.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace keylink::relay {

// A message's id, which the journal stores with it: sha256 of (topic, message), as the same message
// published twice on a topic is one message. Exactly: sha256(u64 big-endian byte length of topic || topic
// || message), so no two (topic, message) pairs collide by moving bytes across the boundary. The relay
// itself tells messages apart by their content (Mailbox), so it computes the id only off its event loop.
using MessageId = std::array<std::uint8_t, 32>;
MessageId message_id(std::string_view topic, std::string_view message);

struct StoredMessage {
  std::string topic;
  std::string message;
  std::int64_t tag = 0;
  std::int64_t published_at_ms = 0;  // unix milliseconds
  std::int64_t expires_at_ms = 0;    // published_at_ms + ttl
  // Its number in the journal, given by the relay in the order it keeps messages: journal rows are
  // written in key order (appends, not random inserts) and acks name the message by it. 0 without one.
  std::uint64_t seq = 0;
};

// A client (by its did:key) acknowledged a message (by its seq): it is out of that client's mailbox. It
// goes when its message does.
struct StoredAck {
  StoredAck() = default;
  StoredAck(std::string client, std::uint64_t message_seq, std::string message_topic = {})
      : client_id(std::move(client)), seq(message_seq), topic(std::move(message_topic)) {}
  std::string client_id;
  std::uint64_t seq = 0;
  std::string topic;  // its message's: where a shared journal's reader finds the message by seq
};

}  // namespace keylink::relay
