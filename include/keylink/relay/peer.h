// A connected, authenticated client as the relay core sees it: where its frames go, and the state the
// protocol keeps for it. The WebSocket session implements it; tests and the fuzzer use one in memory.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

#include <absl/container/flat_hash_map.h>

#include "keylink/relay/mailbox.h"
#include "keylink/relay/metrics.h"
#include "keylink/relay/stored_message.h"
#include "keylink/relay/text_map.h"

namespace keylink::relay {

// A client id's publish rate: a token bucket that its connections share, kept after the last one goes
// until it is full again, so that reconnecting gives no fresh burst. Owned by the relay core.
struct RateBucket {
  double tokens = 0;
  std::int64_t at_ms = 0;
  std::uint32_t connections = 0;
};

class Peer {
 public:
  explicit Peer(std::string client_id) : client_id_(std::move(client_id)) {}
  virtual ~Peer() = default;
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  // Queues (copies) one text frame. Never blocks; a peer whose queue passes its limit is closed.
  virtual void send(std::string_view frame) = 0;
  // Closes the connection with a WebSocket close code and a reason a person can read.
  virtual void close(std::uint16_t code, std::string_view reason) = 0;
  // A hint: send() comes soon, so what it writes to can be brought into the cache meanwhile.
  virtual void prefetch_send() const {}

  const std::string& client_id() const noexcept { return client_id_; }

  // Set by the network layer from the upgrade request; read only by the --bench-forward handler.
  std::string bench_group;
  bool bench_publisher = false;
  // Set by the network layer before attach: the network the peer connects from (network_of its IP),
  // which pays with its client id for what it keeps; empty for none.
  std::string network;

  // Owned by the relay core.
  std::uint64_t handle = 0;                     // the core's key for this peer
  ClientNumber client = 0;                      // the mailbox's number for client_id
  std::optional<ClientNumber> network_account;  // the mailbox's number for its network, if it has one
  struct Subscription {
    std::string id;
    std::uint64_t next = 0;  // the topic position its mailbox delivery has reached
    bool behind = false;     // messages from `next` on wait for room in the delivery window
  };
  TextNodeMap<Subscription> subscriptions;                     // by topic; a node each: the core points at them
  absl::flat_hash_map<std::int64_t, MessageRef> awaiting_ack;  // delivery rpc id -> message: in flight
  std::unordered_set<std::string> backlog;                     // topics whose subscription is behind
  RateBucket* bucket = nullptr;                                // its client id's, shared

 private:
  std::string client_id_;
};

// What serves peers: the relay core, or the forwarder that benchmarks use as the limit of the write path.
// Runs on the event loop; not thread-safe.
class PeerHandler {
 public:
  virtual ~PeerHandler() = default;
  virtual void attach(Peer& peer) = 0;
  // Forgets the peer; called once, before the peer is destroyed.
  virtual void detach(Peer& peer) = 0;
  virtual void on_frame(Peer& peer, std::string_view frame) = 0;
  // After the frames of one read from the peer: work they share can be done once, and what the handler
  // held back for the read goes out. Also called before a close mid-read, so that the answers to the
  // frames before it precede the close frame.
  virtual void on_read_end(Peer&) {}
  virtual Metrics& metrics() = 0;
};

}  // namespace keylink::relay
