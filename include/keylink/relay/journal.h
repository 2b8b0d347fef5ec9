// Where the relay's messages and acks outlive the process. The relay keeps its working set in memory
// (the Mailbox) and writes every change to a Journal; at start it rebuilds the mailbox from load().
// `--store memory` runs without a journal.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "keylink/base/result.h"
#include "keylink/relay/metrics.h"
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
  // Carried by a shared journal only: published with prompt: true (each node prompts its offline
  // subscribers), and the network it came from (each node charges it for --max-stored-bytes-per-ip).
  bool prompt = false;
  std::string network;
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

  // A cluster's journal is shared: every node appends to it and reads back what all of them appended,
  // in one order, each message with the seq the journal gave it. The relay keeps a message only when
  // the feed brings it back, as every other node does, so that all nodes keep the same messages in the
  // same order (and a history cursor means the same on each).
  struct Feed {
    std::function<void(JournaledMessage)> message;
    std::function<void(StoredAck)> ack;
    // An ephemeral message another node published (never kept), with its publisher's client id.
    using Ephemeral = std::function<void(StoredMessage, std::string)>;
    Ephemeral ephemeral;
  };
  virtual bool shared() const noexcept { return false; }
  // REQUIRES: shared(), and called before load(). What the feed brings after load() goes here, through
  // the Poster.
  virtual void set_feed(Feed) {}
  // REQUIRES: shared(). Hands an ephemeral message to the other nodes, for their live subscribers only.
  virtual void broadcast(const StoredMessage&, std::string_view /*publisher*/) {}
  // nullopt for a journal of one node. Any thread may call it.
  virtual std::optional<ClusterStatus> cluster_status() const { return std::nullopt; }
};

// The embedded store: one SQLite file (WAL). Fails with a store error naming the file when it cannot
// be opened or is not a keylink relay store.
Result<std::unique_ptr<Journal>> open_sqlite_journal(const std::string& path, Durability durability, Poster post);

// A cluster node's journal: JetStream on the NATS servers of `servers`.
struct ClusterOptions {
  std::string servers;       // nats://[USER:PASSWORD@]HOST:PORT, comma-separated: any of them will do
  std::string node;          // this node's name: its NATS connection's, in logs and /health
  int replicas = 3;          // copies JetStream keeps of each message (at most the NATS servers there are)
  std::int64_t max_age_ms = 0;  // how long JetStream keeps a message: the relay's longest ttl
  // PEM CA the servers' certificates chain to: set, every connection is TLS and checks them.
  std::string ca_file;
};
// Connects, and creates the stream if no node has. Fails with a cluster error naming what is wrong
// (no server reachable, credentials refused, a stream of another shape).
Result<std::unique_ptr<Journal>> open_nats_journal(const ClusterOptions& options, Poster post);

}  // namespace keylink::relay
