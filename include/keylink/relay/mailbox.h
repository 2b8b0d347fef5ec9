// The relay's working set: every stored message until its ttl ends, and which client acked which.
//
// Each client receives every message of each topic it subscribes to that is unexpired and that it has
// not acked; its ack takes the message out of its mailbox. Topic history (keylink_query) reads the same
// messages in publish order. The journal, when there is one, holds the durable copy; the mailbox is
// rebuilt from it at start. Not thread-safe: it lives on the relay's event loop.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "keylink/relay/stored_message.h"

namespace keylink::relay {

struct MessageIdHash {
  std::size_t operator()(const MessageId& id) const noexcept;
};

struct HistoryQuery {
  std::int64_t start_ms = INT64_MIN;  // inclusive bounds on published_at_ms
  std::int64_t end_ms = INT64_MAX;
  std::optional<std::uint64_t> after;  // the cursor: continue past this position of the topic
  std::size_t limit = 100;
  bool descending = false;
};

struct HistoryPage {
  std::vector<const StoredMessage*> messages;
  std::optional<std::uint64_t> next;  // set while more messages remain
};

class Mailbox {
 public:
  // Stores a message and returns the kept copy; returns null (and stores nothing) when a message with
  // its id is already kept.
  const StoredMessage* add(StoredMessage message);
  // Records that client acked the message; unknown ids (expired, never stored) are ignored.
  // Returns whether the ack was new.
  bool ack(std::string_view client_id, const MessageId& id);

  using IdSet = std::unordered_set<MessageId, MessageIdHash>;
  // The client's unacked messages on topic that are unexpired at now_ms and not in `skip`, oldest first,
  // at most limit.
  std::vector<const StoredMessage*> pending(std::string_view client_id, std::string_view topic, std::int64_t now_ms,
                                            std::size_t limit, const IdSet& skip = {}) const;
  // Unexpired messages of a topic in publish order, a page at a time.
  HistoryPage history(std::string_view topic, const HistoryQuery& query, std::int64_t now_ms) const;

  // Forgets up to `max` messages (and their acks) that expired by now_ms, soonest expiry first, so that
  // one call never holds the event loop for long. Returns how many went.
  std::size_t prune(std::int64_t now_ms, std::size_t max = SIZE_MAX);

  std::size_t message_count() const noexcept { return index_.size(); }
  std::size_t stored_bytes() const noexcept { return stored_bytes_; }

 private:
  struct Entry {
    StoredMessage message;
    std::vector<std::uint32_t> acked_by;  // client numbers, sorted
    bool removed = false;                 // pruned; dropped once it reaches the front of its log
  };
  // A topic's messages in publish order; an entry's position is `first` plus its index.
  struct TopicLog {
    std::uint64_t first = 1;
    std::deque<Entry> entries;
    std::size_t live = 0;
  };

  Entry* find(const MessageId& id);
  std::uint32_t client_number(std::string_view client_id);
  bool acked(const Entry& entry, std::string_view client_id) const;

  std::unordered_map<std::string, TopicLog> topics_;
  std::unordered_map<MessageId, std::pair<TopicLog*, std::uint64_t>, MessageIdHash> index_;
  using Expiry = std::pair<std::int64_t, MessageId>;
  std::priority_queue<Expiry, std::vector<Expiry>, std::greater<>> expiries_;  // soonest on top
  std::unordered_map<std::string, std::uint32_t> clients_;                     // client id -> number, for compact acks
  std::size_t stored_bytes_ = 0;
};

}  // namespace keylink::relay
