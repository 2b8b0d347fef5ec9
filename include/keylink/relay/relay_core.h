// The relay's protocol: WalletConnect relay JSON-RPC (irn_*, wc_proposeSession, wc_approveSession) and
// keylink_query, over peers that the network layer attaches. No sockets here: frames in, frames out, so
// tests and the fuzzer drive it in memory.
//
// Not thread-safe: everything runs on the relay's event loop; journal completions come back through
// the journal's Poster onto the same loop.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <simdjson.h>

#include "keylink/base/clock.h"
#include "keylink/relay/journal.h"
#include "keylink/relay/limits.h"
#include "keylink/relay/mailbox.h"
#include "keylink/relay/metrics.h"
#include "keylink/relay/offline_subscriptions.h"
#include "keylink/relay/peer.h"
#include "keylink/relay/push.h"

namespace keylink::relay {

class RelayCore final : public PeerHandler {
 public:
  // `journal` may be null (--store memory). Both it and `clock` must outlive the core. With a shared
  // journal (a cluster node) a message is kept, delivered and counted when the journal's feed brings it
  // back, on this node as on the others, and ephemeral publishes go to the other nodes through it too;
  // localOnly messages never reach it. With a `push`
  // sink (which must outlive it too), a publish with `prompt: true` and a new message hands it one
  // PushNotice per client that was subscribed to the topic when its last connection closed, and has not
  // connected since (OfflineSubscriptions); an ephemeral publish, which no offline client can receive,
  // hands it none.
  RelayCore(const Limits& limits, const Clock& clock, Journal* journal, PushSink* push = nullptr);
  ~RelayCore() override;

  // Rebuilds the mailbox from the journal. REQUIRES: called once, before any peer attaches.
  Result<void> load();

  void attach(Peer& peer) override;
  // Forgets the peer and its subscriptions; its pending journal completions are dropped.
  void detach(Peer& peer) override;
  // Handles one text frame from the peer: answers, deliveries and errors go out through Peer::send, in
  // the order of the frames. A read's irn_publishes are accepted together (by the next frame of another
  // kind, or on_read_end), so their answers and deliveries may wait for on_read_end.
  void on_frame(Peer& peer, std::string_view frame) override;
  // Accepts the read's publishes and journals what the read kept and acked in one append (as detach()
  // does for a read the peer left in).
  void on_read_end(Peer& peer) override;
  // Forgets up to `max` expired messages here, and the expired ones in the journal (in the background).
  // Returns true when more expired messages remain.
  bool prune(std::size_t max = SIZE_MAX);

  // The counters, with the store gauges brought up to date.
  Metrics& metrics() noexcept override;
  const Mailbox& mailbox() const noexcept { return mailbox_; }

 private:
  struct Request;
  struct Publish;
  struct QueuedPublish;
  struct Refusal;
  // Reads a JSON-RPC message into `request` (whose views point into parser_), or says what is wrong.
  std::optional<Refusal> parse(std::string_view frame, Request& request);
  void dispatch(Peer& peer, Request& request);
  // Stores, fans out and answers the queued publishes, in order.
  void accept_queued();
  void on_ack(Peer& peer, std::int64_t delivery_id);
  // What the last read stored and acked, in one append; its publishes are answered once it is durable.
  void journal_pending();
  bool take_token(Peer& peer);
  void refill(RateBucket& bucket, std::int64_t now_ms) const;
  void release_bucket(Peer& peer);
  void forget_full_buckets(std::int64_t now_ms);

  tl::expected<Publish, Refusal> read_publish(Peer& peer, simdjson::dom::object params, std::string_view topic_key,
                                              std::string_view message_key, std::optional<std::int64_t> tag);
  // Stores, fans out and journals the publishes, then answers `true` once they are durable.
  void accept(Peer& peer, std::string_view id_json, std::span<Publish> publishes);
  // Delivers to live subscribers but the publisher (its connection, or every connection of its client
  // for a message that came from another node); a stored message (at `ref`) only to those not behind.
  void fan_out(const StoredMessage& message, MessageRef ref, const Peer* publisher, bool ephemeral,
               std::optional<ClientNumber> publisher_client = std::nullopt);
  // A cluster node's: what the shared journal's feed brings (load() included), from every node.
  void receive(JournaledMessage journaled);
  void receive_ack(const StoredAck& ack);
  void receive_ephemeral(const StoredMessage& message, std::string_view publisher);
  // Queues a client's ack of a kept message for the journal (a shared one takes only acks of messages
  // in its stream).
  void journal_ack(const Peer& peer, const StoredMessage& message);
  // Sends one irn_subscription of a message's fields (append_message_fields); a stored message (not
  // ephemeral) waits for its ack.
  void deliver(Peer& peer, std::string_view subscription_id, std::string_view fields_json,
               std::optional<MessageRef> ref);
  void deliver_pending(Peer& peer, std::string_view topic);
  // Returns the subscription id, or why not.
  tl::expected<std::string, Refusal> subscribe(Peer& peer, std::string_view topic);
  void unsubscribe(Peer& peer, std::string_view topic);
  // irn_unsubscribe: also for the client's connections that are gone.
  void unsubscribe_client(Peer& peer, std::string_view topic);
  // Whether any connection of the client is attached now.
  bool connected(std::string_view client_id) const;
  // Notices for the offline subscribers of a new message published with prompt: true.
  void prompt_offline(const StoredMessage& message);

  void handle_publish(Peer& peer, Request& request);
  void handle_batch_publish(Peer& peer, Request& request);
  void handle_subscribe(Peer& peer, Request& request);
  void handle_batch_subscribe(Peer& peer, Request& request);
  void handle_unsubscribe(Peer& peer, Request& request);
  void handle_batch_unsubscribe(Peer& peer, Request& request);
  void handle_fetch(Peer& peer, Request& request, bool batch);
  void handle_propose_session(Peer& peer, Request& request);
  void handle_approve_session(Peer& peer, Request& request);
  void handle_query(Peer& peer, Request& request);

  void reply(Peer& peer, std::string_view id_json, std::string_view result_json);
  void reply_error(Peer& peer, std::string_view id_json, const Refusal& refusal);

  Limits limits_;
  const Clock& clock_;
  Journal* journal_;
  bool shared_;  // journal_ is a cluster's
  PushSink* push_;
  OfflineSubscriptions offline_;  // kept only with push_
  Mailbox mailbox_;
  Metrics metrics_;
  simdjson::dom::parser parser_;
  std::string frame_buffer_;  // the frame, padded for simdjson
  std::string out_;           // the frame being written: reused, so that writing one allocates nothing
  std::string fields_;        // the fields of the message being delivered, likewise
  std::string id_json_;       // the id of the request being handled, as JSON, likewise
  std::uint64_t next_handle_ = 1;
  std::int64_t next_delivery_id_;
  std::uint64_t next_seq_ = 1;  // the journal's number for the next message kept
  // On a cluster node a message's seq is its stream seq shifted left by kLocalSeqBits; a localOnly
  // message, kept on this node only, takes the last stream message's seq plus a count in the low bits,
  // so that every topic's messages stay in seq order.
  static constexpr int kLocalSeqBits = 16;
  static constexpr std::uint64_t kLocalSeqMask = (std::uint64_t{1} << kLocalSeqBits) - 1;
  std::uint64_t local_seq_ = 0;
  // The irn_publishes of the read so far: each has its index slots prefetched (Mailbox::prefetch) while
  // the next ones are parsed, and all are accepted together. At most kMaxQueued.
  std::vector<QueuedPublish> queued_;
  std::string queued_ids_;        // their request ids as JSON, one after the other
  std::size_t queued_bytes_ = 0;  // what they would add to the store
  // Since the end of the last read: kept messages, acks, and the publishes (peer handle, request id as
  // JSON) that wait for them.
  std::vector<JournaledMessage> messages_to_journal_;
  std::vector<StoredAck> acks_to_journal_;
  std::vector<std::pair<std::uint64_t, std::string>> answers_to_journal_;
  std::unordered_map<std::uint64_t, Peer*> peers_;
  // Publish rates by client id: of connected clients, and of gone ones until full again (idle_buckets_,
  // by when each will be full).
  TextNodeMap<RateBucket> buckets_;
  std::multimap<std::int64_t, std::string> idle_buckets_;
  // topic -> its subscribers and their subscription (an element of Peer::subscriptions, whose nodes stay put)
  TextMap<absl::flat_hash_map<Peer*, Peer::Subscription*>> subscribers_;
};

}  // namespace keylink::relay
