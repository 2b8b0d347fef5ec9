// irn_publish, irn_batchPublish, wc_proposeSession and wc_approveSession: messages into the relay.
#include "json_text.h"
#include "keylink/relay/relay_core.h"
#include "request.h"

namespace keylink::relay {
namespace {

// WalletConnect tags of the messages the relay publishes for wc_proposeSession / wc_approveSession.
constexpr std::int64_t kTagSessionPropose = 1100;
constexpr std::int64_t kTagSessionProposeResponse = 1101;
constexpr std::int64_t kTagSessionSettle = 1102;
// How many irn_publishes of one read wait to be accepted together: enough for the prefetches of the
// first to land while the last are parsed, few enough that their answers do not wait long.
constexpr std::size_t kMaxQueued = 64;

}  // namespace

tl::expected<RelayCore::Publish, RelayCore::Refusal> RelayCore::read_publish(Peer& peer, simdjson::dom::object params,
                                                                             std::string_view topic_key,
                                                                             std::string_view message_key,
                                                                             std::optional<std::int64_t> tag) {
  auto topic = string_field(params, topic_key);
  if (!topic || topic->empty() || topic->size() > limits_.max_topic_bytes) {
    return tl::unexpected(Refusal{kInvalidParams, "invalid",
                                  "params." + std::string(topic_key) + " must be a string of 1 to " +
                                      std::to_string(limits_.max_topic_bytes) + " bytes"});
  }
  auto message = string_field(params, message_key);
  if (!message) {
    return tl::unexpected(
        Refusal{kInvalidParams, "invalid", "params." + std::string(message_key) + " must be a string"});
  }
  if (message->size() > limits_.max_message_bytes) {
    return tl::unexpected(Refusal{kLimitExceeded, "message_size",
                                  "message of " + std::to_string(message->size()) + " bytes is over the limit of " +
                                      std::to_string(limits_.max_message_bytes) + " bytes (--max-message-bytes)"});
  }
  // keylink's extension: absent or a boolean, as a client that sets it relies on it.
  if (auto local_only = params.at_key("localOnly");
      local_only.error() != simdjson::NO_SUCH_FIELD && !local_only.is_bool()) {
    return tl::unexpected(Refusal{kInvalidParams, "invalid", "params.localOnly must be a boolean"});
  }
  Publish publish{{}, bool_field(params, "ephemeral"), bool_field(params, "localOnly"), bool_field(params, "prompt")};
  auto ttl = int_field(params, "ttl");
  if (!publish.ephemeral) {
    if (!ttl) return tl::unexpected(Refusal{kInvalidParams, "invalid", "params.ttl must be an integer (seconds)"});
    if (*ttl < limits_.min_ttl_seconds || *ttl > limits_.max_ttl_seconds) {
      const bool low = *ttl < limits_.min_ttl_seconds;
      return tl::unexpected(Refusal{kInvalidParams, "ttl",
                                    "ttl of " + std::to_string(*ttl) + " s is " +
                                        (low ? "below the minimum of " : "above the maximum of ") +
                                        std::to_string(low ? limits_.min_ttl_seconds : limits_.max_ttl_seconds) +
                                        (low ? " s (--min-ttl)" : " s (--max-ttl)")});
    }
    // What the publishes waiting count (queued_bytes_) are all this peer's.
    const std::size_t cost = Mailbox::cost(topic->size(), message->size());
    auto over = [&](std::size_t kept, std::size_t limit) { return kept + queued_bytes_ + cost > limit; };
    auto refusal = [&]() -> std::optional<Refusal> {
      if (over(mailbox_.stored_bytes(), limits_.max_stored_bytes)) {
        return Refusal{kLimitExceeded, "store_full",
                       "the relay's store is full (--max-stored-bytes); publish again later"};
      }
      if (over(mailbox_.stored_bytes(peer.client), limits_.max_stored_bytes_per_client)) {
        return Refusal{kLimitExceeded, "client_quota",
                       "this client keeps " + std::to_string(limits_.max_stored_bytes_per_client) +
                           " bytes in the relay at most (--max-stored-bytes-per-client); publish again once some "
                           "are acked and expire"};
      }
      if (peer.network_account && over(mailbox_.stored_bytes(*peer.network_account), limits_.max_stored_bytes_per_ip)) {
        return Refusal{kLimitExceeded, "ip_quota",
                       "clients from " + peer.network + " keep " + std::to_string(limits_.max_stored_bytes_per_ip) +
                           " bytes in the relay at most (--max-stored-bytes-per-ip); publish again later"};
      }
      return std::nullopt;
    };
    auto refused = refusal();
    if (refused) {
      accept_queued();  // then exact: the publishes waiting may be copies of kept messages
      refused = refusal();
    }
    if (refused) return tl::unexpected(std::move(*refused));
  }
  if (!take_token(peer)) {
    return tl::unexpected(Refusal{kLimitExceeded, "rate_limit",
                                  "over " + std::to_string(static_cast<long>(limits_.publishes_per_second)) +
                                      " publishes per second (--publish-rate); slow down and publish again"});
  }
  StoredMessage& stored = publish.message;
  stored.topic = *topic;
  stored.message = *message;
  stored.tag = tag ? *tag : int_field(params, "tag").value_or(0);
  stored.published_at_ms = clock_.unix_millis();
  stored.expires_at_ms = stored.published_at_ms + ttl.value_or(0) * 1000;
  if (!publish.ephemeral) publish.key = Mailbox::key(stored);
  return publish;
}

void RelayCore::accept(Peer& peer, std::string_view id_json, std::span<Publish> publishes) {
  bool journaled = false;
  for (auto& publish : publishes) {
    ++metrics_.publishes;
    if (publish.local_only) ++metrics_.local_only_publishes;
    if (publish.ephemeral) {
      ++metrics_.ephemeral_publishes;
      fan_out(publish.message, {}, &peer, true);
      if (shared_ && !publish.local_only) journal_->broadcast(publish.message, peer.client_id());
      continue;
    }
    if (shared_ && !publish.local_only) {
      // Kept when the stream brings it back, on this node as on every other.
      if (mailbox_.contains(publish.message, publish.key)) continue;
      JournaledMessage& entry = messages_to_journal_.emplace_back(std::move(publish.message), peer.client_id());
      entry.prompt = publish.prompt;
      entry.network = peer.network;
      journaled = true;
      continue;
    }
    if (shared_) {
      if ((local_seq_ & kLocalSeqMask) != kLocalSeqMask) ++local_seq_;  // past 65535 in a row, they share a seq
      publish.message.seq = local_seq_;
    } else {
      publish.message.seq = next_seq_++;
    }
    // The publisher counts as having acked its own message: it never gets it back.
    const auto [kept, ref] =
        mailbox_.add(std::move(publish.message), publish.key, peer.client, {peer.client, peer.network_account});
    if (!kept) continue;  // the same message again: stored and delivered once
    fan_out(*kept, ref, &peer, false);
    if (publish.prompt) prompt_offline(*kept);
    if (journal_ && !shared_) {
      messages_to_journal_.emplace_back(*kept, peer.client_id());
      journaled = true;
    }
  }
  // Answered once the read's appends are durable (journal_pending).
  if (journaled) return answers_to_journal_.push_back({peer.handle, std::string(id_json)});
  reply(peer, id_json, "true");
}

void RelayCore::handle_publish(Peer& peer, Request& request) {
  auto publish = read_publish(peer, request.params, "topic", "message", std::nullopt);
  if (!publish) {
    accept_queued();
    return reply_error(peer, request.id_json, publish.error());
  }
  if (!publish->ephemeral) {
    mailbox_.prefetch(publish->key);
    queued_bytes_ += Mailbox::cost(publish->message);
  }
  queued_.push_back({&peer, queued_ids_.size(), request.id_json.size(), std::move(*publish)});
  queued_ids_ += request.id_json;
  if (queued_.size() == kMaxQueued) accept_queued();
}

void RelayCore::accept_queued() {
  if (queued_.empty()) return;  // a batch being read counts its messages in queued_bytes_ too
  for (QueuedPublish& queued : queued_) {
    accept(*queued.peer, std::string_view(queued_ids_).substr(queued.id_at, queued.id_size),
           std::span(&queued.publish, 1));
  }
  queued_.clear();
  queued_ids_.clear();
  queued_bytes_ = 0;
}

void RelayCore::handle_batch_publish(Peer& peer, Request& request) {
  auto messages = array_field(request.params, "messages");
  if (!messages)
    return reply_error(peer, request.id_json, {kInvalidParams, "invalid", "params.messages must be an array"});
  if (messages->size() > limits_.max_topics_per_batch) {
    return reply_error(peer, request.id_json,
                       {kLimitExceeded, "batch_size",
                        "batch of " + std::to_string(messages->size()) + " messages is over the limit of " +
                            std::to_string(limits_.max_topics_per_batch) + " (--max-batch)"});
  }
  // The batch's messages count against the limits as they are read, as queued publishes do.
  struct Uncount {
    std::size_t& bytes;
    ~Uncount() { bytes = 0; }
  } uncount{queued_bytes_};
  std::vector<Publish> publishes;
  for (simdjson::dom::element item : *messages) {
    simdjson::dom::object object;
    if (item.get_object().get(object)) {
      return reply_error(peer, request.id_json,
                         {kInvalidParams, "invalid", "each of params.messages must be an object"});
    }
    auto publish = read_publish(peer, object, "topic", "message", std::nullopt);
    if (!publish) return reply_error(peer, request.id_json, publish.error());
    if (!publish->ephemeral) queued_bytes_ += Mailbox::cost(publish->message);
    publishes.push_back(std::move(*publish));
  }
  accept(peer, request.id_json, publishes);
}

// The dApp's first message: it listens on the pairing topic and the proposal waits there for the wallet.
void RelayCore::handle_propose_session(Peer& peer, Request& request) {
  auto topic = string_field(request.params, "pairingTopic");
  if (!topic)
    return reply_error(peer, request.id_json, {kInvalidParams, "invalid", "params.pairingTopic must be a string"});
  auto proposal = read_publish(peer, request.params, "pairingTopic", "sessionProposal", kTagSessionPropose);
  if (!proposal) return reply_error(peer, request.id_json, proposal.error());
  auto subscribed = subscribe(peer, *topic);
  if (!subscribed) return reply_error(peer, request.id_json, subscribed.error());
  std::vector<Publish> publishes;
  publishes.push_back(std::move(*proposal));
  accept(peer, request.id_json, publishes);
}

// The wallet's answer: it listens on the session topic; the response goes to the pairing topic and the
// settlement request to the session topic.
void RelayCore::handle_approve_session(Peer& peer, Request& request) {
  auto session_topic = string_field(request.params, "sessionTopic");
  if (!session_topic) {
    return reply_error(peer, request.id_json, {kInvalidParams, "invalid", "params.sessionTopic must be a string"});
  }
  auto response =
      read_publish(peer, request.params, "pairingTopic", "sessionProposalResponse", kTagSessionProposeResponse);
  if (!response) return reply_error(peer, request.id_json, response.error());
  auto settle = read_publish(peer, request.params, "sessionTopic", "sessionSettlementRequest", kTagSessionSettle);
  if (!settle) return reply_error(peer, request.id_json, settle.error());
  auto subscribed = subscribe(peer, *session_topic);
  if (!subscribed) return reply_error(peer, request.id_json, subscribed.error());
  std::vector<Publish> publishes;
  publishes.push_back(std::move(*response));
  publishes.push_back(std::move(*settle));
  accept(peer, request.id_json, publishes);
}

}  // namespace keylink::relay
