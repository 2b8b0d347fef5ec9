// The topics that clients were subscribed to when their connections closed: who a publish with
// `prompt: true` should wake (push.h). The relay core keeps it only with a PushSink.
//
// A client's entries go when it connects again (it subscribes anew), when it unsubscribes from a topic
// on another connection, `keep_ms` after its first entry, and, past `max_pairs` (client, topic) pairs in
// all, oldest client first. Not thread-safe: the relay core's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <absl/container/flat_hash_set.h>

#include "keylink/relay/text_map.h"

namespace keylink::relay {

class OfflineSubscriptions {
 public:
  // REQUIRES: max_pairs > 0.
  OfflineSubscriptions(std::size_t max_pairs, std::int64_t keep_ms) : max_pairs_(max_pairs), keep_ms_(keep_ms) {}

  // A connection of the client closed while subscribed to the topic.
  void add(std::string_view client_id, std::string_view topic, std::int64_t now_ms);
  // The client connected: it subscribes again to what it wants.
  void forget(std::string_view client_id);
  void unsubscribed(std::string_view client_id, std::string_view topic);
  // Forgets clients whose first entry is keep_ms old by now_ms.
  void prune(std::int64_t now_ms);

  // The clients remembered as subscribed to the topic; null for none. Valid until the next change.
  const absl::flat_hash_set<std::string, TextHash, TextEq>* clients_of(std::string_view topic) const;
  std::size_t pairs() const noexcept { return pairs_; }

 private:
  struct Client {
    std::uint64_t serial = 0;  // its entry in order_
    std::int64_t since_ms = 0;
    std::vector<std::string> topics;
  };
  void remove(TextNodeMap<Client>::iterator client);
  // Drops order_'s entries whose client was forgotten, once they outnumber the clients kept.
  void compact();

  std::size_t max_pairs_;
  std::int64_t keep_ms_;
  std::size_t pairs_ = 0;
  std::uint64_t next_serial_ = 1;
  TextNodeMap<Client> clients_;
  TextMap<absl::flat_hash_set<std::string, TextHash, TextEq>> by_topic_;
  std::deque<std::pair<std::uint64_t, std::string>> order_;  // (serial, client id), oldest first
};

}  // namespace keylink::relay
