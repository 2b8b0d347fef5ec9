// The relay client's outbound queue, kept on disk: a publish is accepted once its row is committed, and
// the row goes only when the relay has acknowledged it (or refused it for good). It lives in the home's
// database so that a state change and the messages it sends commit in one transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "keylink/base/result.h"
#include "keylink/store/database.h"

namespace keylink::relay {

struct OutgoingMessage {
  std::string topic;
  std::string message;     // the envelope text
  std::int64_t ttl = 300;  // seconds
  std::int64_t tag = 0;
  bool ephemeral = false;   // keylink relays: delivered to live subscribers only, never stored
  bool local_only = false;  // keylink relays: never leaves the relay node it was published to
};

struct QueuedMessage {
  std::int64_t id = 0;  // the row's id, increasing: the order of sending
  OutgoingMessage message;
};

// Thread-compatible, on the thread of its Database. REQUIRES: db outlives the outbox.
class RelayOutbox {
 public:
  // Creates the table `relay_outbox` when missing, and adds the column local_only to one made before it.
  static Result<RelayOutbox> open(store::Database& db);

  // Adds a row; the caller's open transaction, if any, covers it. Returns the row id.
  Result<std::int64_t> add(const OutgoingMessage& message);
  Result<void> remove(std::int64_t id);
  // Rows in id order, at most `limit`, with ids greater than `after`.
  Result<std::vector<QueuedMessage>> list(std::int64_t after = 0, std::size_t limit = 1000);
  Result<std::int64_t> count();

 private:
  explicit RelayOutbox(store::Database& db) : db_(&db) {}
  store::Database* db_;
};

}  // namespace keylink::relay
