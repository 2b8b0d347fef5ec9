// The relay's working set: every stored message until its ttl ends, and which client acked which.
//
// Each client receives every message of each topic it subscribes to that is unexpired and that it has
// not acked; its ack takes the message out of its mailbox. Topic history (keylink_query) reads the same
// messages in publish order. The journal, when there is one, holds the durable copy; the mailbox is
// rebuilt from it at start. Not thread-safe: it lives on the relay's event loop.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>
#include <absl/container/inlined_vector.h>

#include "keylink/relay/stored_message.h"
#include "keylink/relay/text_map.h"

namespace keylink::relay {

struct HistoryQuery {
  std::int64_t start_ms = INT64_MIN;  // inclusive bounds on published_at_ms
  std::int64_t end_ms = INT64_MAX;
  std::optional<std::uint64_t> after;  // the cursor: continue past the message of this seq
  std::size_t limit = 100;
  bool descending = false;
};

struct HistoryPage {
  std::vector<const StoredMessage*> messages;
  std::optional<std::uint64_t> next;  // set while more messages remain: the seq of the last one
};

// Where a kept message is: cheaper to act on than its id, and safe to hold after the message is gone.
struct MessageRef {
  std::uint64_t log = 0;       // the topic log it went into
  std::uint64_t position = 0;  // its place there
};

// A client as the mailbox knows it: a small number for its did:key, so that acks are cheap to keep.
using ClientNumber = std::uint32_t;

class Mailbox {
 public:
  // The number of a client id, held until release(): a connection holds its client's while it lasts, and
  // each ack of a kept message holds its client's too. Once nothing does, the id is forgotten and the
  // number may go to another client, so that a relay that has seen millions of clients keeps only those it
  // still needs. No number is ever out without a hold.
  ClientNumber hold(std::string_view client_id);
  void release(ClientNumber client);
  // The number of a client id the mailbox keeps now, or nullopt.
  std::optional<ClientNumber> known_client(std::string_view client_id) const;
  std::size_t client_count() const noexcept { return clients_.size(); }

  // What keeping a message costs, in the bytes that Limits::max_stored_bytes and the quotas count: its
  // topic and message, and an overhead per message for its entry, its index slot and its expiry, so that
  // millions of tiny messages count for the memory they take.
  static std::size_t cost(std::size_t topic_bytes, std::size_t message_bytes);
  static std::size_t cost(const StoredMessage& message) { return cost(message.topic.size(), message.message.size()); }

  // Who pays for a kept message: numbers from hold(), of its publisher's client id and of its network
  // (held under network_account's name: no did:key starts so). The message holds each, and each is
  // charged its cost, until it goes.
  struct Payers {
    std::optional<ClientNumber> client;
    std::optional<ClientNumber> network;
  };
  static std::string network_account(std::string_view network) { return "net " + std::string(network); }
  // What the messages kept now cost the payer.
  std::size_t stored_bytes(ClientNumber payer) const { return clients_by_number_[payer].stored_bytes; }

  struct Added {
    const StoredMessage* message;  // null when the same message was kept already
    MessageRef ref;
  };
  // Where a message goes in the index of kept messages, from its topic and message: only key() makes one.
  class Key {
   public:
    Key() = default;

   private:
    friend class Mailbox;
    explicit Key(std::size_t value) : hash(value) {}
    std::size_t hash = 0;
  };
  static Key key(const StoredMessage& message);
  // Brings the index's slots for `key` into the cache, so that an add() a little later finds them there:
  // in a large index each add otherwise waits on two cache misses.
  void prefetch(Key key) const { index_[part_of(key.hash)].prefetch(Content{key.hash, {}, {}}); }
  // Stores a message unless the same one (topic and message) is kept already; `acked_by` (the
  // publisher) never gets it; `payers` are charged its cost. REQUIRES: key == key(message).
  Added add(StoredMessage message, Key key, std::optional<ClientNumber> acked_by, Payers payers = {});
  Added add(StoredMessage message, std::optional<ClientNumber> acked_by = std::nullopt, Payers payers = {}) {
    const Key k = key(message);
    return add(std::move(message), k, acked_by, payers);
  }
  // Whether the same message (topic and message) is kept. REQUIRES: key == key(message).
  bool contains(const StoredMessage& message, Key key) const {
    return index_[part_of(key.hash)].contains(Content{key.hash, message.topic, message.message});
  }
  // Where the topic's message of this seq is kept, or nullopt. A topic's messages are in seq order.
  std::optional<MessageRef> locate(std::string_view topic, std::uint64_t seq) const;
  // Records that the client acked the message; a message no longer kept is ignored. Returns whether
  // the ack was new.
  bool ack(ClientNumber client, MessageRef ref);
  // The message still kept at ref, or null.
  const StoredMessage* message(MessageRef ref) {
    const Entry* entry = find(ref);
    return entry ? &entry->message : nullptr;
  }

  struct PendingPage {
    std::vector<std::pair<const StoredMessage*, MessageRef>> messages;
    std::uint64_t next = 0;  // the position to continue from
    bool more = false;       // the topic goes on past `next`
  };
  // From position `from` of the topic on, the client's messages that are unacked and unexpired at
  // now_ms, oldest first, at most limit.
  PendingPage pending(ClientNumber client, std::string_view topic, std::int64_t now_ms, std::size_t limit,
                      std::uint64_t from = 0) const;
  // Unexpired messages of a topic in publish order, a page at a time. REQUIRES: the topic's messages
  // were added in seq order (so that a cursor, a seq, means the same wherever the messages were added
  // in that order: on every node of a cluster).
  HistoryPage history(std::string_view topic, const HistoryQuery& query, std::int64_t now_ms) const;

  // Forgets up to `max` messages (and their acks) that expired by now_ms, soonest expiry first, so that
  // one call never holds the event loop for long. Returns how many went.
  std::size_t prune(std::int64_t now_ms, std::size_t max = SIZE_MAX);

  std::size_t message_count() const noexcept { return message_count_; }
  std::size_t stored_bytes() const noexcept { return stored_bytes_; }

 private:
  static constexpr ClientNumber kNoPayer = UINT32_MAX;
  struct Entry {
    StoredMessage message;
    absl::InlinedVector<ClientNumber, 2> acked_by;  // sorted; the publisher and one reader need no allocation
    std::array<ClientNumber, 2> payers{kNoPayer, kNoPayer};
    bool removed = false;  // pruned; dropped once it reaches the front of its log
  };
  // A topic's messages in publish order; an entry's position is `first` plus its index.
  struct TopicLog {
    std::uint64_t number = 0;
    std::uint64_t first = 1;
    std::deque<Entry> entries;
    std::size_t live = 0;
  };

  // The index of kept messages, by content: the same topic and message are one message. Comparing the
  // content itself is exact, and a fast seeded hash of it costs a fraction of the sha256 that the journal
  // stores as the message's id. A slot is the hash and the entry (entries stay put: a log is a deque only
  // appended to and popped at the front, and a removed entry leaves the index first).
  struct Slot {
    std::size_t hash;
    const Entry* entry;
  };
  struct Content {
    std::size_t hash;
    std::string_view topic;
    std::string_view message;
  };
  struct SlotHash {
    using is_transparent = void;
    std::size_t operator()(const Slot& slot) const noexcept { return slot.hash; }
    std::size_t operator()(const Content& content) const noexcept { return content.hash; }
  };
  struct SlotEq {
    using is_transparent = void;
    bool operator()(const Slot& a, const Slot& b) const noexcept { return a.entry == b.entry; }
    bool operator()(const Slot& slot, const Content& content) const noexcept {
      return slot.hash == content.hash && slot.entry->message.message == content.message &&
             slot.entry->message.topic == content.topic;
    }
  };
  using Index = absl::flat_hash_set<Slot, SlotHash, SlotEq>;
  // The index is split by the top bits of the hash, so that growing one part rehashes a 64th of the
  // messages: a short pause, where rehashing millions at once would stall every connection for tens of ms.
  static constexpr int kIndexPartBits = 6;
  static std::size_t part_of(std::size_t hash) { return hash >> (8 * sizeof hash - kIndexPartBits); }
  // Parts fill evenly, so left to absl (which doubles a table once it is 7/8 full) all would double
  // within milliseconds of each other: together as long a pause as rehashing the whole index at once.
  // Part p doubles early instead, once (1 + p / parts) / 2 of 7/8 full, so that the parts' rehashes
  // spread over the time the index takes to double.
  void grow_early(std::size_t part);

  Entry* find(MessageRef ref);
  // Forgets a kept message: out of the index, its log entry emptied, its acks' numbers released.
  void remove(MessageRef ref);
  bool ack(ClientNumber client, Entry& entry);
  static bool acked(const Entry& entry, ClientNumber client);
  static bool seq_before(const Entry& entry, std::uint64_t seq) { return entry.message.seq < seq; }
  // One more hold of a number that is out already.
  void hold(ClientNumber client) { ++clients_by_number_[client].holds; }

  TextNodeMap<TopicLog> topics_;                        // a node each: logs_ points at them
  absl::flat_hash_map<std::uint64_t, TopicLog*> logs_;  // by number
  std::uint64_t next_log_ = 1;
  std::array<Index, std::size_t{1} << kIndexPartBits> index_;  // flat: one probe, no node per message
  std::size_t message_count_ = 0;
  // The messages that expire in one millisecond, in the order they came; prune has taken `done` of them.
  // Appending stays in memory that is in cache, where a heap of millions touches a cold parent each time.
  struct ExpiryBucket {
    std::vector<MessageRef> refs;
    std::size_t done = 0;
  };
  std::map<std::int64_t, ExpiryBucket> expiries_;  // by expires_at_ms
  struct Client {
    const std::string* id = nullptr;  // its key in clients_; null while the number is free
    std::uint32_t holds = 0;          // connections, acks and payments of kept messages
    std::size_t stored_bytes = 0;     // what the messages it pays for cost
  };
  TextNodeMap<ClientNumber> clients_;  // a node each: Client::id points at the keys
  std::vector<Client> clients_by_number_;
  std::vector<ClientNumber> free_numbers_;
  std::size_t stored_bytes_ = 0;
};

}  // namespace keylink::relay
