#include "keylink/relay/relay_core.h"

#include <charconv>

#include "json_text.h"
#include "keylink/base/check.h"
#include "request.h"

namespace keylink::relay {
namespace {

// Delivery ids look like WalletConnect's payload ids (milliseconds * 1000 + a counter) and stay below
// 2^53, so JavaScript clients read them exactly.
std::int64_t first_delivery_id(const Clock& clock) { return clock.unix_millis() * 1000; }

// How many subscribers ahead fan_out fetches the state of the one it will deliver to.
constexpr int kFetchAhead = 4;

// The id of an ack written the way WalletConnect clients write every ack (JSON.stringify of {id,
// jsonrpc, result: true}), or nullopt for any other frame, which then goes through the JSON parser:
// half the frames a relay reads are acks, and for them the parser would cost more than the ack.
std::optional<std::int64_t> plain_ack_id(std::string_view frame) {
  constexpr std::string_view kHead = "{\"id\":", kTail = ",\"jsonrpc\":\"2.0\",\"result\":true}";
  if (!frame.starts_with(kHead) || !frame.ends_with(kTail)) return std::nullopt;
  const std::string_view digits = frame.substr(kHead.size(), frame.size() - kHead.size() - kTail.size());
  // JSON has no leading zeros; what from_chars reads beyond the digits (a sign) leaves it to the parser.
  if (digits.empty() || digits.size() > 18 || (digits[0] == '0' && digits.size() > 1) || digits[0] < '0' ||
      digits[0] > '9') {
    return std::nullopt;
  }
  std::int64_t id = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
  if (error != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
  return id;
}

}  // namespace

RelayCore::RelayCore(const Limits& limits, const Clock& clock, Journal* journal, PushSink* push)
    : limits_(limits),
      clock_(clock),
      journal_(journal),
      shared_(journal && journal->shared()),
      push_(push),
      offline_(limits.max_push_subscriptions, limits.max_ttl_seconds * 1000),
      next_delivery_id_(first_delivery_id(clock)) {
  KEYLINK_CHECK(parser_.allocate(limits_.max_frame_bytes) == simdjson::SUCCESS);
  if (shared_) {
    journal_->set_feed({
        .message = [this](JournaledMessage journaled) { receive(std::move(journaled)); },
        .ack = [this](const StoredAck& ack) { receive_ack(ack); },
        .ephemeral = [this](const StoredMessage& message, std::string_view publisher) {
          receive_ephemeral(message, publisher);
        },
    });
  }
}

RelayCore::~RelayCore() = default;

Result<void> RelayCore::load() {
  if (!journal_) return {};
  if (shared_) {
    auto loaded = journal_->load(
        clock_.unix_millis(), [this](JournaledMessage journaled) { receive(std::move(journaled)); },
        [this](const StoredAck& ack) { receive_ack(ack); });
    if (!loaded) return fail(loaded.error());
    return {};
  }
  absl::flat_hash_map<std::uint64_t, MessageRef> kept;  // by seq, for the acks
  auto loaded = journal_->load(
      clock_.unix_millis(),
      [&](JournaledMessage journaled) {
        const std::uint64_t seq = journaled.message.seq;
        std::optional<ClientNumber> publisher;
        if (!journaled.publisher.empty()) publisher = mailbox_.hold(journaled.publisher);
        // Its client pays again; its network is not journaled, so the per-IP quota counts since the start.
        auto added = mailbox_.add(std::move(journaled.message), publisher, {publisher, std::nullopt});
        if (added.message) kept.emplace(seq, added.ref);
        if (publisher) mailbox_.release(*publisher);  // the message holds it now, if it was kept
      },
      [&](const StoredAck& ack) {
        auto found = kept.find(ack.seq);
        if (found == kept.end()) return;
        const ClientNumber client = mailbox_.hold(ack.client_id);
        mailbox_.ack(client, found->second);
        mailbox_.release(client);
      });
  if (!loaded) return fail(loaded.error());
  next_seq_ = *loaded + 1;
  return {};
}

void RelayCore::attach(Peer& peer) {
  peer.handle = next_handle_++;
  peer.client = mailbox_.hold(peer.client_id());
  if (!peer.network.empty()) peer.network_account = mailbox_.hold(Mailbox::network_account(peer.network));
  peers_.emplace(peer.handle, &peer);
  if (push_) offline_.forget(peer.client_id());
  auto [bucket, created] = buckets_.try_emplace(peer.client_id());
  if (created) bucket->second = {limits_.publish_burst, clock_.unix_millis(), 0};
  ++bucket->second.connections;
  peer.bucket = &bucket->second;
  ++metrics_.connections;
  ++metrics_.connections_total;
}

void RelayCore::detach(Peer& peer) {
  // A peer may go in the middle of a read: what it sent so far still counts.
  accept_queued();
  journal_pending();
  if (push_) {
    for (const auto& [topic, subscription] : peer.subscriptions) {
      offline_.add(peer.client_id(), topic, clock_.unix_millis());
    }
  }
  while (!peer.subscriptions.empty()) unsubscribe(peer, peer.subscriptions.begin()->first);
  peers_.erase(peer.handle);
  mailbox_.release(peer.client);
  if (peer.network_account) mailbox_.release(*std::exchange(peer.network_account, std::nullopt));
  release_bucket(peer);
  --metrics_.connections;
}

void RelayCore::on_frame(Peer& peer, std::string_view frame) {
  metrics_.bytes_in += frame.size();
  if (auto delivery_id = plain_ack_id(frame)) {
    accept_queued();
    return on_ack(peer, *delivery_id);
  }
  Request request;
  auto refusal = parse(frame, request);
  // An irn_publish joins the read's queue; anything else is handled after what came before it.
  if (refusal || request.method != "irn_publish" || (!queued_.empty() && queued_.front().peer != &peer)) {
    accept_queued();
  }
  if (refusal) return reply_error(peer, request.id_json, *refusal);
  if (!request.method.empty()) return dispatch(peer, request);
  // A response: the only ones a relay expects are acks of its deliveries.
  if (request.acked) on_ack(peer, *request.acked);
}

std::optional<RelayCore::Refusal> RelayCore::parse(std::string_view frame, Request& request) {
  frame_buffer_.resize(frame.size() + simdjson::SIMDJSON_PADDING);
  std::copy(frame.begin(), frame.end(), frame_buffer_.begin());
  simdjson::dom::element document;
  simdjson::dom::object root;
  if (parser_.parse(frame_buffer_.data(), frame.size(), false).get(document)) {
    return Refusal{kParseError, "parse", "not JSON (or not valid UTF-8)"};
  }
  if (document.get_object().get(root)) {
    return Refusal{kInvalidRequest, "invalid", "a JSON-RPC message must be a JSON object"};
  }
  if (simdjson::dom::element id; !root.at_key("id").get(id)) {
    std::int64_t number;
    std::string_view text;
    if (!id.get_int64().get(number)) {
      id_json_.clear();
      append_int(id_json_, number);
      request.id_json = id_json_;
    } else if (!id.get_string().get(text)) {
      id_json_.clear();
      append_json_string(id_json_, text);
      request.id_json = id_json_;
    } else if (!id.is_null()) {
      return Refusal{kInvalidRequest, "invalid", "id must be an integer or a string"};
    }
  }
  if (string_field(root, "jsonrpc") != "2.0") return Refusal{kInvalidRequest, "invalid", "jsonrpc must be \"2.0\""};
  auto method = string_field(root, "method");
  if (!method) {
    std::int64_t delivery_id;
    if (!root.at_key("result").error() && !root.at_key("id").get_int64().get(delivery_id)) request.acked = delivery_id;
    return std::nullopt;
  }
  request.method = *method;
  if (root.at_key("params").get_object().get(request.params)) {
    return Refusal{kInvalidParams, "invalid", "params must be an object"};
  }
  return std::nullopt;
}

void RelayCore::on_read_end(Peer&) {
  accept_queued();
  journal_pending();
}

void RelayCore::journal_pending() {
  if (!journal_ || (messages_to_journal_.empty() && acks_to_journal_.empty())) return;
  Journal::Done done;
  if (!answers_to_journal_.empty()) {
    done = [this, answers = std::exchange(answers_to_journal_, {})](Result<void> stored) {
      for (const auto& [handle, id_json] : answers) {
        auto found = peers_.find(handle);
        if (found == peers_.end()) continue;  // gone: it publishes again after reconnecting
        if (stored) {
          reply(*found->second, id_json, "true");
        } else {
          reply_error(*found->second, id_json,
                      {kInternalError, "store",
                       "could not store the message (" + stored.error().message + "); publish it again"});
        }
      }
    };
  }
  journal_->append(std::exchange(messages_to_journal_, {}), std::exchange(acks_to_journal_, {}), std::move(done));
}

void RelayCore::dispatch(Peer& peer, Request& request) {
  const std::string_view method = request.method;
  if (method == "irn_publish") return handle_publish(peer, request);
  if (method == "irn_batchPublish") return handle_batch_publish(peer, request);
  if (method == "irn_subscribe") return handle_subscribe(peer, request);
  if (method == "irn_batchSubscribe") return handle_batch_subscribe(peer, request);
  if (method == "irn_unsubscribe") return handle_unsubscribe(peer, request);
  if (method == "irn_batchUnsubscribe") return handle_batch_unsubscribe(peer, request);
  if (method == "irn_fetchMessages") return handle_fetch(peer, request, false);
  if (method == "irn_batchFetchMessages") return handle_fetch(peer, request, true);
  if (method == "wc_proposeSession") return handle_propose_session(peer, request);
  if (method == "wc_approveSession") return handle_approve_session(peer, request);
  if (method == "keylink_query") return handle_query(peer, request);
  reply_error(peer, request.id_json,
              {kMethodNotFound, "method", "method " + std::string(method) + " is not supported"});
}

void RelayCore::on_ack(Peer& peer, std::int64_t delivery_id) {
  auto found = peer.awaiting_ack.find(delivery_id);
  if (found == peer.awaiting_ack.end()) return;  // an ephemeral delivery, or a duplicate ack
  const MessageRef ref = found->second;
  peer.awaiting_ack.erase(found);
  ++metrics_.acks;
  if (mailbox_.ack(peer.client, ref)) journal_ack(peer, *mailbox_.message(ref));
  if (!peer.backlog.empty() && peer.awaiting_ack.size() <= limits_.delivery_window / 2) {
    auto topics = std::move(peer.backlog);
    peer.backlog.clear();
    for (const auto& topic : topics) deliver_pending(peer, topic);
  }
}

void RelayCore::journal_ack(const Peer& peer, const StoredMessage& message) {
  if (!journal_ || (shared_ && (message.seq & kLocalSeqMask) != 0)) return;  // a cluster's localOnly: not in its stream
  const std::uint64_t seq = shared_ ? message.seq >> kLocalSeqBits : message.seq;
  acks_to_journal_.push_back({peer.client_id(), seq, shared_ ? message.topic : std::string()});
}

void RelayCore::receive(JournaledMessage journaled) {
  StoredMessage& message = journaled.message;
  message.seq <<= kLocalSeqBits;
  local_seq_ = message.seq;
  // Its publisher and network pay for it on every node, as on the node it was published on.
  std::optional<ClientNumber> publisher, network;
  if (!journaled.publisher.empty()) publisher = mailbox_.hold(journaled.publisher);
  if (!journaled.network.empty()) network = mailbox_.hold(Mailbox::network_account(journaled.network));
  const auto [kept, ref] = mailbox_.add(std::move(message), publisher, {publisher, network});
  if (kept) {
    fan_out(*kept, ref, nullptr, false, publisher);
    if (journaled.prompt) prompt_offline(*kept);
  }
  // The message holds them now, if it was kept.
  for (auto number : {publisher, network}) {
    if (number) mailbox_.release(*number);
  }
}

void RelayCore::receive_ack(const StoredAck& ack) {
  const auto ref = mailbox_.locate(ack.topic, ack.seq << kLocalSeqBits);
  if (!ref) return;  // expired, or never kept here
  const ClientNumber client = mailbox_.hold(ack.client_id);
  mailbox_.ack(client, *ref);
  mailbox_.release(client);
}

void RelayCore::receive_ephemeral(const StoredMessage& message, std::string_view publisher) {
  fan_out(message, {}, nullptr, true, mailbox_.known_client(publisher));
}

void RelayCore::refill(RateBucket& bucket, std::int64_t now_ms) const {
  bucket.tokens = std::min(limits_.publish_burst, bucket.tokens + static_cast<double>(now_ms - bucket.at_ms) *
                                                                      limits_.publishes_per_second / 1000);
  bucket.at_ms = now_ms;
}

bool RelayCore::take_token(Peer& peer) {
  if (limits_.publishes_per_second <= 0) return true;
  RateBucket& bucket = *peer.bucket;
  refill(bucket, clock_.unix_millis());
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

// A bucket that is not full when its client's last connection goes waits, until it is, for the client to
// come back: a reconnect gets the tokens it left, not a new burst.
void RelayCore::release_bucket(Peer& peer) {
  RateBucket& bucket = *std::exchange(peer.bucket, nullptr);
  if (--bucket.connections > 0) return;
  const std::int64_t now = clock_.unix_millis();
  refill(bucket, now);
  if (limits_.publishes_per_second <= 0 || bucket.tokens >= limits_.publish_burst) {
    buckets_.erase(peer.client_id());
    return;
  }
  const double ms_to_full = (limits_.publish_burst - bucket.tokens) * 1000 / limits_.publishes_per_second;
  idle_buckets_.emplace(now + static_cast<std::int64_t>(ms_to_full) + 1, peer.client_id());
}

// A client id's bucket lives while any of its connections does.
bool RelayCore::connected(std::string_view client_id) const {
  auto found = buckets_.find(client_id);
  return found != buckets_.end() && found->second.connections > 0;
}

void RelayCore::prompt_offline(const StoredMessage& message) {
  if (!push_) return;
  const auto* clients = offline_.clients_of(message.topic);
  if (!clients) return;
  for (const std::string& client_id : *clients) {
    // One that connected again is forgotten, but one with another connection still open is not.
    if (!connected(client_id)) push_->notify({client_id, message.topic, message.tag});
  }
}

void RelayCore::forget_full_buckets(std::int64_t now_ms) {
  while (!idle_buckets_.empty() && idle_buckets_.begin()->first <= now_ms) {
    auto due = idle_buckets_.extract(idle_buckets_.begin());
    auto found = buckets_.find(due.mapped());
    if (found == buckets_.end() || found->second.connections > 0) continue;
    refill(found->second, now_ms);
    if (found->second.tokens >= limits_.publish_burst) buckets_.erase(found);  // else a later entry is due
  }
}

void RelayCore::fan_out(const StoredMessage& message, MessageRef ref, const Peer* publisher, bool ephemeral,
                        std::optional<ClientNumber> publisher_client) {
  auto found = subscribers_.find(message.topic);
  if (found == subscribers_.end()) return;
  // The message's fields are the same in every delivery: written (and escaped) once.
  fields_.clear();
  append_message_fields(fields_, message);
  // With many subscribers, each one's state is out of the cache by the time the message reaches it (the
  // deliveries to the others were written since), so it is fetched a few subscribers ahead, in two
  // steps: what the subscriber and its subscription are, then what they point to. A few are in cache.
  auto& subscribers = found->second;
  const auto first = subscribers.size() > 2 * kFetchAhead ? subscribers.begin() : subscribers.end();
  auto near = first, far = first;
  std::int64_t near_delivery_id = next_delivery_id_;
  auto fetch_far = [&] {
    if (far == subscribers.end()) return;
    __builtin_prefetch(far->first);
    __builtin_prefetch(&far->first->awaiting_ack);
    __builtin_prefetch(far->second);
    ++far;
  };
  auto fetch_near = [&] {
    if (near == subscribers.end()) return;
    __builtin_prefetch(near->second->id.data());
    near->first->awaiting_ack.prefetch(near_delivery_id++);  // its id, unless some subscriber is skipped
    near->first->prefetch_send();
    ++near;
  };
  for (int i = 0; i < 2 * kFetchAhead; ++i) fetch_far();
  for (int i = 0; i < kFetchAhead; ++i) fetch_near();
  for (auto [subscriber, entry] : subscribers) {
    fetch_far();
    fetch_near();
    if (subscriber == publisher || (publisher_client && subscriber->client == *publisher_client)) continue;
    Peer::Subscription& subscription = *entry;
    if (ephemeral) {
      deliver(*subscriber, subscription.id, fields_, std::nullopt);
      continue;
    }
    if (subscription.behind) continue;  // it gets this one from its mailbox once it catches up
    if (subscriber->awaiting_ack.size() >= limits_.delivery_window) {
      subscription.behind = true;
      subscriber->backlog.insert(message.topic);
      continue;
    }
    deliver(*subscriber, subscription.id, fields_, ref);
    subscription.next = ref.position + 1;
  }
}

void RelayCore::deliver(Peer& peer, std::string_view subscription_id, std::string_view fields_json,
                        std::optional<MessageRef> ref) {
  const std::int64_t delivery_id = next_delivery_id_++;
  std::string& frame = out_;
  frame.clear();
  frame += "{\"id\":";
  append_int(frame, delivery_id);
  frame += ",\"jsonrpc\":\"2.0\",\"method\":\"irn_subscription\",\"params\":{\"id\":\"";
  frame += subscription_id;
  frame += "\",\"data\":{";
  frame += fields_json;
  frame += ",\"attestation\":null}}}";
  if (ref) peer.awaiting_ack.emplace(delivery_id, *ref);
  ++metrics_.deliveries;
  metrics_.bytes_out += frame.size();
  peer.send(frame);
}

void RelayCore::deliver_pending(Peer& peer, std::string_view topic) {
  auto found = peer.subscriptions.find(topic);
  if (found == peer.subscriptions.end()) return;
  Peer::Subscription& subscription = found->second;
  const std::size_t room = limits_.delivery_window - std::min(limits_.delivery_window, peer.awaiting_ack.size());
  auto page = mailbox_.pending(peer.client, topic, clock_.unix_millis(), room, subscription.next);
  for (const auto& [message, ref] : page.messages) {
    fields_.clear();
    append_message_fields(fields_, *message);
    deliver(peer, subscription.id, fields_, ref);
  }
  subscription.next = page.next;
  subscription.behind = page.more;
  if (page.more) {
    peer.backlog.insert(found->first);
  } else {
    peer.backlog.erase(found->first);
  }
}

bool RelayCore::prune(std::size_t max) {
  const std::int64_t now = clock_.unix_millis();
  const bool more = mailbox_.prune(now, max) == max;
  forget_full_buckets(now);
  offline_.prune(now);
  if (journal_) journal_->prune(now);
  return more;
}

Metrics& RelayCore::metrics() noexcept {
  metrics_.stored_messages = mailbox_.message_count();
  metrics_.stored_bytes = mailbox_.stored_bytes();
  metrics_.known_clients = mailbox_.client_count();
  if (journal_) {
    metrics_.journal_commits = journal_->commits();
    metrics_.cluster = journal_->cluster_status();
  }
  if (push_) {
    const PushCounts counts = push_->counts();
    metrics_.push_sent = counts.sent;
    metrics_.push_failed = counts.failed;
    metrics_.push_dropped = counts.dropped;
    metrics_.push_subscriptions = offline_.pairs();
  }
  return metrics_;
}

void RelayCore::reply(Peer& peer, std::string_view id_json, std::string_view result_json) {
  std::string& frame = out_;
  frame.clear();
  frame += "{\"id\":";
  frame += id_json;
  frame += ",\"jsonrpc\":\"2.0\",\"result\":";
  frame += result_json;
  frame += '}';
  metrics_.bytes_out += frame.size();
  peer.send(frame);
}

void RelayCore::reply_error(Peer& peer, std::string_view id_json, const Refusal& refusal) {
  ++metrics_.errors[refusal.kind];
  std::string frame = "{\"id\":" + std::string(id_json) + ",\"jsonrpc\":\"2.0\",\"error\":{\"code\":";
  append_int(frame, refusal.code);
  frame += ",\"message\":";
  append_json_string(frame, refusal.message);
  frame += "}}";
  metrics_.bytes_out += frame.size();
  peer.send(frame);
}

}  // namespace keylink::relay
