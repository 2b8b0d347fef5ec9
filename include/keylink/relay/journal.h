// Where the relay's messages and acks outlive the process. The relay keeps its working set in memory
// (the Mailbox) and writes every change to a Journal; at start it rebuilds the mailbox from load().
// `--store memory` runs without a journal.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "keylink/base/result.h"
#include "keylink/relay/stored_message.h"

namespace keylink::relay {

// How durable a write is when its completion runs.
enum class Durability {
  kNone,     // handed to the journal; may be lost if the process dies
  kProcess,  // survives kill -9 of the process, not a power loss
  kPower,    // fsynced: survives a power loss
};

// A message as the journal keeps it: with its publisher, which counts as having acked it (it never gets
// its own message back), so that the publisher's ack needs no row of its own.
struct JournaledMessage {
  // Implicit: a message whose publisher is not known is a JournaledMessage as it is.
  JournaledMessage(StoredMessage kept, std::string publisher_id = {})
      : message(std::move(kept)), publisher(std::move(publisher_id)) {}
  StoredMessage message;
  std::string publisher;  // the publisher's client id; empty when not known (stores from before schema 3)
};

// Runs a function on the owner's thread (the relay's event loop). Thread-safe.
using Poster = std::function<void(std::function<void()>)>;

// Thread-compatible: one owner thread calls every method; completions run through the Poster.
class Journal {
 public:
  using Done = std::function<void(Result<void>)>;
  virtual ~Journal() = default;

  // Reads every message and ack that has not expired at now_ms, messages in seq order. Returns the
  // largest seq any row holds, expired or not: a new message needs a larger one, or an expired row not
  // yet pruned would take its place (and a stale ack would name it). REQUIRES: called once, before any
  // append.
  virtual Result<std::uint64_t> load(std::int64_t now_ms, const std::function<void(JournaledMessage)>& on_message,
                                     const std::function<void(StoredAck)>& on_ack) = 0;

  // Queues writes; a message whose seq is already stored is ignored (the relay's mailbox has taken out
  // messages the same as one kept already). `done` (may be empty) runs through the Poster once the
  // writes are as durable as the journal's Durability. Writes that arrive while a commit is under way
  // go into the next transaction together (group commit): never an fsync each.
  virtual void append(std::vector<JournaledMessage> messages, std::vector<StoredAck> acks, Done done) = 0;

  // Deletes messages that expired by now_ms, and their acks, in bounded chunks between commits, so that
  // appends are never held up for long.
  virtual void prune(std::int64_t now_ms) = 0;

  // Blocks until every queued write is committed and its completion posted.
  virtual void flush() = 0;

  // Transactions that wrote appends so far, for /metrics. Any thread may call it.
  virtual std::uint64_t commits() const noexcept = 0;
};

// The embedded store: one SQLite file (WAL). Fails with a store error naming the file when it cannot
// be opened or is not a keylink relay store.
Result<std::unique_ptr<Journal>> open_sqlite_journal(const std::string& path, Durability durability, Poster post);

}  // namespace keylink::relay
