#include "keylink/relay/mailbox.h"

#include <algorithm>

#include <absl/hash/hash.h>

namespace keylink::relay {

// absl's hash is seeded per process, so nobody outside can aim many messages at one bucket; and a
// collision would only cost a comparison, never a message.
Mailbox::Key Mailbox::key(const StoredMessage& message) {
  return Key(absl::HashOf(absl_text(message.topic), absl_text(message.message)));
}

std::size_t Mailbox::cost(std::size_t topic_bytes, std::size_t message_bytes) {
  // The entry; two index slots (absl keeps a table at most 7/8 full, and half full after it doubles);
  // the expiry bucket's ref; and the allocator's header of each string that is too long for its SSO.
  constexpr std::size_t kOverhead = sizeof(Entry) + 2 * sizeof(Slot) + sizeof(MessageRef) + 2 * 16;
  return topic_bytes + message_bytes + kOverhead;
}

ClientNumber Mailbox::hold(std::string_view client_id) {
  if (auto found = clients_.find(client_id); found != clients_.end()) {
    hold(found->second);
    return found->second;
  }
  ClientNumber number;
  if (free_numbers_.empty()) {
    number = static_cast<ClientNumber>(clients_by_number_.size());
    clients_by_number_.emplace_back();
  } else {
    number = free_numbers_.back();
    free_numbers_.pop_back();
  }
  clients_by_number_[number] = {&clients_.emplace(std::string(client_id), number).first->first, 1};
  return number;
}

void Mailbox::release(ClientNumber client) {
  Client& entry = clients_by_number_[client];
  if (--entry.holds > 0) return;
  clients_.erase(clients_.find(*entry.id));
  entry.id = nullptr;
  free_numbers_.push_back(client);
}

std::optional<ClientNumber> Mailbox::known_client(std::string_view client_id) const {
  auto found = clients_.find(client_id);
  return found == clients_.end() ? std::nullopt : std::optional(found->second);
}

Mailbox::Added Mailbox::add(StoredMessage message, Key key, std::optional<ClientNumber> acked_by, Payers payers) {
  const std::size_t hash = key.hash;
  const std::size_t part = part_of(hash);
  Index& index = index_[part];
  if (index.contains(Content{hash, message.topic, message.message})) return {nullptr, {}};
  ++message_count_;
  auto [topic, created] = topics_.try_emplace(message.topic);
  TopicLog& log = topic->second;
  if (created) {
    log.number = next_log_++;
    logs_.emplace(log.number, &log);
  }
  const MessageRef ref{log.number, log.first + log.entries.size()};
  const std::size_t bytes = cost(message);
  stored_bytes_ += bytes;
  // Most messages expire in the same millisecond as the one before or later: append to the last bucket.
  auto bucket = expiries_.empty() ? expiries_.end() : std::prev(expiries_.end());
  if (bucket == expiries_.end() || bucket->first != message.expires_at_ms) {
    bucket = expiries_.try_emplace(expiries_.end(), message.expires_at_ms);
  }
  bucket->second.refs.push_back(ref);
  ++log.live;
  Entry& entry = log.entries.emplace_back(Entry{std::move(message), {}, {kNoPayer, kNoPayer}, false});
  if (acked_by) {
    entry.acked_by.push_back(*acked_by);
    hold(*acked_by);
  }
  std::size_t i = 0;
  for (auto payer : {payers.client, payers.network}) {
    if (!payer) continue;
    entry.payers[i++] = *payer;
    hold(*payer);
    clients_by_number_[*payer].stored_bytes += bytes;
  }
  index.insert(Slot{hash, &entry});
  grow_early(part);
  return {&entry.message, ref};
}

void Mailbox::grow_early(std::size_t part) {
  constexpr std::size_t kParts = std::tuple_size_v<decltype(index_)>;
  constexpr std::size_t kSmall = 4096;  // rehashing this many takes microseconds: left to absl
  Index& index = index_[part];
  const std::size_t full = index.capacity() - index.capacity() / 8;
  if (index.capacity() >= kSmall && 2 * kParts * index.size() >= full * (kParts + part)) index.reserve(2 * full);
}

Mailbox::Entry* Mailbox::find(MessageRef ref) {
  auto found = logs_.find(ref.log);
  if (found == logs_.end()) return nullptr;
  TopicLog& log = *found->second;
  if (ref.position < log.first || ref.position - log.first >= log.entries.size()) return nullptr;
  Entry& entry = log.entries[ref.position - log.first];
  return entry.removed ? nullptr : &entry;
}

bool Mailbox::acked(const Entry& entry, ClientNumber client) {
  return std::binary_search(entry.acked_by.begin(), entry.acked_by.end(), client);
}

bool Mailbox::ack(ClientNumber client, Entry& entry) {
  auto at = std::lower_bound(entry.acked_by.begin(), entry.acked_by.end(), client);
  if (at != entry.acked_by.end() && *at == client) return false;
  entry.acked_by.insert(at, client);
  hold(client);
  return true;
}

bool Mailbox::ack(ClientNumber client, MessageRef ref) {
  Entry* entry = find(ref);
  return entry && ack(client, *entry);
}

Mailbox::PendingPage Mailbox::pending(ClientNumber client, std::string_view topic, std::int64_t now_ms,
                                      std::size_t limit, std::uint64_t from) const {
  PendingPage page;
  auto found = topics_.find(topic);
  if (found == topics_.end()) return page;
  const TopicLog& log = found->second;
  std::size_t index = from > log.first ? static_cast<std::size_t>(from - log.first) : 0;
  for (; index < log.entries.size() && page.messages.size() < limit; ++index) {
    const Entry& entry = log.entries[index];
    if (!entry.removed && entry.message.expires_at_ms > now_ms && !acked(entry, client)) {
      page.messages.emplace_back(&entry.message, MessageRef{log.number, log.first + index});
    }
  }
  page.next = log.first + index;
  page.more = index < log.entries.size();
  return page;
}

HistoryPage Mailbox::history(std::string_view topic, const HistoryQuery& query, std::int64_t now_ms) const {
  HistoryPage page;
  auto found = topics_.find(topic);
  if (found == topics_.end() || query.limit == 0) return page;
  const auto& entries = found->second.entries;
  // Walk the log one way or the other, from past the cursor's message (whether it is still kept or not).
  const std::int64_t step = query.descending ? -1 : 1;
  std::int64_t index = query.descending ? static_cast<std::int64_t>(entries.size()) - 1 : 0;
  if (query.after) {
    const auto at = std::lower_bound(entries.begin(), entries.end(), *query.after, seq_before);
    const auto past = at != entries.end() && at->message.seq == *query.after ? at + 1 : at;
    index = query.descending ? at - entries.begin() - 1 : past - entries.begin();
  }
  for (; index >= 0 && index < static_cast<std::int64_t>(entries.size()); index += step) {
    const Entry& entry = entries[static_cast<std::size_t>(index)];
    const StoredMessage& message = entry.message;
    if (entry.removed || message.expires_at_ms <= now_ms || message.published_at_ms < query.start_ms ||
        message.published_at_ms > query.end_ms) {
      continue;
    }
    if (page.messages.size() == query.limit) {
      page.next = page.messages.back()->seq;
      break;
    }
    page.messages.push_back(&message);
  }
  return page;
}

std::optional<MessageRef> Mailbox::locate(std::string_view topic, std::uint64_t seq) const {
  auto found = topics_.find(topic);
  if (found == topics_.end()) return std::nullopt;
  const TopicLog& log = found->second;
  const auto at = std::lower_bound(log.entries.begin(), log.entries.end(), seq, seq_before);
  if (at == log.entries.end() || at->message.seq != seq || at->removed) return std::nullopt;
  return MessageRef{log.number, log.first + static_cast<std::uint64_t>(at - log.entries.begin())};
}

std::size_t Mailbox::prune(std::int64_t now_ms, std::size_t max) {
  std::size_t removed = 0;
  while (removed < max && !expiries_.empty() && expiries_.begin()->first <= now_ms) {
    ExpiryBucket& bucket = expiries_.begin()->second;
    while (removed < max && bucket.done < bucket.refs.size()) {
      remove(bucket.refs[bucket.done++]);
      ++removed;
    }
    if (bucket.done == bucket.refs.size()) expiries_.erase(expiries_.begin());
  }
  return removed;
}

void Mailbox::remove(MessageRef ref) {
  TopicLog& log = *logs_.at(ref.log);
  Entry& entry = log.entries[ref.position - log.first];
  const std::size_t hash = key(entry.message).hash;
  index_[part_of(hash)].erase(Slot{hash, &entry});
  --message_count_;
  const std::size_t bytes = cost(entry.message);
  stored_bytes_ -= bytes;
  entry.removed = true;
  for (ClientNumber client : entry.acked_by) release(client);
  for (ClientNumber payer : entry.payers) {
    if (payer == kNoPayer) continue;
    clients_by_number_[payer].stored_bytes -= bytes;
    release(payer);
  }
  entry.acked_by = {};
  if (--log.live == 0) {
    logs_.erase(log.number);
    const std::string topic = std::move(entry.message.topic);
    topics_.erase(topic);  // the whole log, entry included
    return;
  }
  entry.message.message = {};
  while (log.entries.front().removed) {
    log.entries.pop_front();
    ++log.first;
  }
}

}  // namespace keylink::relay
