// irn_subscribe, irn_unsubscribe and their batches, irn_fetchMessages and keylink_query: messages out of
// the relay.
#include <charconv>

#include "json_text.h"
#include "keylink/base/encoding.h"
#include "keylink/crypto/hash.h"
#include "keylink/relay/relay_core.h"
#include "request.h"

namespace keylink::relay {
tl::expected<std::string, RelayCore::Refusal> RelayCore::subscribe(Peer& peer, std::string_view topic) {
  if (topic.empty() || topic.size() > limits_.max_topic_bytes) {
    return tl::unexpected(
        Refusal{kInvalidParams, "invalid",
                "a topic must be a string of 1 to " + std::to_string(limits_.max_topic_bytes) + " bytes"});
  }
  const std::string key(topic);
  if (auto found = peer.subscriptions.find(key); found != peer.subscriptions.end()) return found->second.id;
  if (peer.subscriptions.size() >= limits_.max_subscriptions_per_client) {
    return tl::unexpected(Refusal{kLimitExceeded, "subscription_limit",
                                  "subscription limit of " + std::to_string(limits_.max_subscriptions_per_client) +
                                      " per client reached (--max-subscriptions); unsubscribe first"});
  }
  // The id @walletconnect/core computes for itself: sha256 of the topic and the client id.
  std::string id = to_hex(crypto::sha256(as_bytes(key + peer.client_id())));
  auto [subscription, added] = peer.subscriptions.emplace(key, Peer::Subscription{id});
  subscribers_[key].emplace(&peer, &subscription->second);
  ++metrics_.subscriptions;
  return id;
}

void RelayCore::unsubscribe(Peer& peer, std::string_view topic) {
  const std::string key(topic);  // a copy: `topic` may be the key about to be erased
  if (peer.subscriptions.erase(key) == 0) return;
  --metrics_.subscriptions;
  peer.backlog.erase(key);
  auto found = subscribers_.find(key);
  if (found == subscribers_.end()) return;
  found->second.erase(&peer);
  if (found->second.empty()) subscribers_.erase(found);
}

void RelayCore::unsubscribe_client(Peer& peer, std::string_view topic) {
  unsubscribe(peer, topic);
  if (push_) offline_.unsubscribed(peer.client_id(), topic);
}

void RelayCore::handle_subscribe(Peer& peer, Request& request) {
  auto topic = string_field(request.params, "topic");
  if (!topic) return reply_error(peer, request.id_json, {kInvalidParams, "invalid", "params.topic must be a string"});
  const bool fresh = !peer.subscriptions.contains(*topic);
  auto id = subscribe(peer, *topic);
  if (!id) return reply_error(peer, request.id_json, id.error());
  std::string result;
  append_json_string(result, *id);
  reply(peer, request.id_json, result);
  if (fresh) deliver_pending(peer, *topic);
}

void RelayCore::handle_batch_subscribe(Peer& peer, Request& request) {
  auto topics = array_field(request.params, "topics");
  if (!topics) return reply_error(peer, request.id_json, {kInvalidParams, "invalid", "params.topics must be an array"});
  if (topics->size() > limits_.max_topics_per_batch) {
    return reply_error(peer, request.id_json,
                       {kLimitExceeded, "batch_size",
                        "batch of " + std::to_string(topics->size()) + " topics is over the limit of " +
                            std::to_string(limits_.max_topics_per_batch) + " (--max-batch)"});
  }
  std::vector<std::string_view> names;
  for (simdjson::dom::element item : *topics) {
    std::string_view name;
    if (item.get_string().get(name)) {
      return reply_error(peer, request.id_json, {kInvalidParams, "invalid", "each of params.topics must be a string"});
    }
    names.push_back(name);
  }
  std::string result = "[";
  std::vector<std::string_view> fresh;
  for (std::string_view name : names) {
    if (!peer.subscriptions.contains(name)) fresh.push_back(name);
    auto id = subscribe(peer, name);
    if (!id) return reply_error(peer, request.id_json, id.error());  // those before it stay subscribed
    if (result.size() > 1) result += ',';
    append_json_string(result, *id);
  }
  result += ']';
  reply(peer, request.id_json, result);
  for (std::string_view name : fresh) deliver_pending(peer, name);
}

void RelayCore::handle_unsubscribe(Peer& peer, Request& request) {
  auto topic = string_field(request.params, "topic");
  if (!topic) return reply_error(peer, request.id_json, {kInvalidParams, "invalid", "params.topic must be a string"});
  unsubscribe_client(peer, *topic);
  reply(peer, request.id_json, "true");
}

void RelayCore::handle_batch_unsubscribe(Peer& peer, Request& request) {
  auto subscriptions = array_field(request.params, "subscriptions");
  if (!subscriptions) {
    return reply_error(peer, request.id_json, {kInvalidParams, "invalid", "params.subscriptions must be an array"});
  }
  for (simdjson::dom::element item : *subscriptions) {
    simdjson::dom::object object;
    std::optional<std::string_view> topic;
    if (!item.get_object().get(object)) topic = string_field(object, "topic");
    if (!topic) {
      return reply_error(peer, request.id_json,
                         {kInvalidParams, "invalid", "each of params.subscriptions must be {topic, id}"});
    }
    unsubscribe_client(peer, *topic);
  }
  reply(peer, request.id_json, "true");
}

// The undelivered mailbox messages of the topics, answered in-band; answering them counts as their
// delivery, so they leave the client's mailbox.
void RelayCore::handle_fetch(Peer& peer, Request& request, bool batch) {
  std::vector<std::string_view> topics;
  if (batch) {
    auto array = array_field(request.params, "topics");
    if (!array)
      return reply_error(peer, request.id_json, {kInvalidParams, "invalid", "params.topics must be an array"});
    for (simdjson::dom::element item : *array) {
      std::string_view topic;
      if (item.get_string().get(topic)) {
        return reply_error(peer, request.id_json,
                           {kInvalidParams, "invalid", "each of params.topics must be a string"});
      }
      topics.push_back(topic);
    }
  } else if (auto topic = string_field(request.params, "topic")) {
    topics.push_back(*topic);
  } else {
    return reply_error(peer, request.id_json, {kInvalidParams, "invalid", "params.topic must be a string"});
  }
  const std::int64_t now = clock_.unix_millis();
  std::string result = "{\"messages\":[";
  std::size_t fetched = 0;
  bool has_more = false;
  for (std::string_view topic : topics) {
    const std::size_t room = limits_.max_fetch_messages - fetched;
    auto pending = mailbox_.pending(peer.client, topic, now, room + 1).messages;
    if (pending.size() > room) {
      has_more = true;
      pending.pop_back();
    }
    for (const auto& [message, ref] : pending) {
      if (fetched++ != 0) result += ',';
      result += '{';
      append_message_fields(result, *message);
      result += '}';
      if (mailbox_.ack(peer.client, ref)) journal_ack(peer, *message);
    }
    if (has_more) break;
  }
  result += "],\"hasMore\":";
  result += has_more ? "true}" : "false}";
  reply(peer, request.id_json, result);  // its acks are journaled at the end of the read
}

void RelayCore::handle_query(Peer& peer, Request& request) {
  auto refuse = [&](std::string message) {
    reply_error(peer, request.id_json, {kInvalidParams, "invalid", std::move(message)});
  };
  auto topic = string_field(request.params, "topic");
  if (!topic) return refuse("params.topic must be a string");
  HistoryQuery query;
  query.start_ms = int_field(request.params, "startMs").value_or(INT64_MIN);
  query.end_ms = int_field(request.params, "endMs").value_or(INT64_MAX);
  const std::int64_t limit = int_field(request.params, "limit").value_or(100);
  if (limit < 1 || static_cast<std::size_t>(limit) > limits_.max_query_messages) {
    return refuse("params.limit must be 1 to " + std::to_string(limits_.max_query_messages));
  }
  query.limit = static_cast<std::size_t>(limit);
  const auto direction = string_field(request.params, "direction").value_or("asc");
  if (direction != "asc" && direction != "desc") return refuse("params.direction must be \"asc\" or \"desc\"");
  query.descending = direction == "desc";
  if (auto cursor = string_field(request.params, "cursor")) {
    std::uint64_t after = 0;
    auto [end, ec] = std::from_chars(cursor->data(), cursor->data() + cursor->size(), after);
    if (ec != std::errc{} || end != cursor->data() + cursor->size()) {
      return refuse("params.cursor is not one this relay returned; start again without it");
    }
    query.after = after;
  }
  const HistoryPage page = mailbox_.history(*topic, query, clock_.unix_millis());
  std::string result = "{\"messages\":[";
  for (std::size_t i = 0; i < page.messages.size(); ++i) {
    if (i != 0) result += ',';
    result += '{';
    append_message_fields(result, *page.messages[i]);
    result += '}';
  }
  result += ']';
  if (page.next) {
    result += ",\"cursor\":\"";
    append_int(result, static_cast<std::int64_t>(*page.next));
    result += '"';
  }
  result += '}';
  reply(peer, request.id_json, result);
}

}  // namespace keylink::relay
