#include "keylink/relay/mailbox.h"

#include <algorithm>
#include <cstring>

namespace keylink::relay {

std::size_t MessageIdHash::operator()(const MessageId& id) const noexcept {
  std::size_t hash;  // the id is a sha256: any 8 of its bytes are a good hash
  std::memcpy(&hash, id.data(), sizeof hash);
  return hash;
}

const StoredMessage* Mailbox::add(StoredMessage message) {
  if (index_.contains(message.id)) return nullptr;
  TopicLog& log = topics_[message.topic];
  const std::uint64_t position = log.first + log.entries.size();
  stored_bytes_ += message.topic.size() + message.message.size();
  expiries_.emplace(message.expires_at_ms, message.id);
  index_.emplace(message.id, std::pair{&log, position});
  ++log.live;
  return &log.entries.emplace_back(Entry{std::move(message), {}, false}).message;
}

Mailbox::Entry* Mailbox::find(const MessageId& id) {
  auto found = index_.find(id);
  if (found == index_.end()) return nullptr;
  auto [log, position] = found->second;
  return &log->entries[position - log->first];
}

std::uint32_t Mailbox::client_number(std::string_view client_id) {
  auto [it, added] = clients_.try_emplace(std::string(client_id), static_cast<std::uint32_t>(clients_.size()));
  return it->second;
}

bool Mailbox::acked(const Entry& entry, std::string_view client_id) const {
  auto found = clients_.find(std::string(client_id));
  return found != clients_.end() && std::binary_search(entry.acked_by.begin(), entry.acked_by.end(), found->second);
}

bool Mailbox::ack(std::string_view client_id, const MessageId& id) {
  Entry* entry = find(id);
  if (!entry) return false;
  const std::uint32_t client = client_number(client_id);
  auto at = std::lower_bound(entry->acked_by.begin(), entry->acked_by.end(), client);
  if (at != entry->acked_by.end() && *at == client) return false;
  entry->acked_by.insert(at, client);
  return true;
}

std::vector<const StoredMessage*> Mailbox::pending(std::string_view client_id, std::string_view topic,
                                                   std::int64_t now_ms, std::size_t limit, const IdSet& skip) const {
  std::vector<const StoredMessage*> out;
  auto log = topics_.find(std::string(topic));
  if (log == topics_.end()) return out;
  for (const Entry& entry : log->second.entries) {
    if (out.size() == limit) break;
    if (!entry.removed && entry.message.expires_at_ms > now_ms && !acked(entry, client_id) &&
        !skip.contains(entry.message.id)) {
      out.push_back(&entry.message);
    }
  }
  return out;
}

HistoryPage Mailbox::history(std::string_view topic, const HistoryQuery& query, std::int64_t now_ms) const {
  HistoryPage page;
  auto found = topics_.find(std::string(topic));
  if (found == topics_.end() || query.limit == 0) return page;
  const TopicLog& log = found->second;
  const auto count = static_cast<std::int64_t>(log.entries.size());
  const auto first = static_cast<std::int64_t>(log.first);
  // Walk the log one way or the other; the cursor is the position of the last message returned.
  const std::int64_t step = query.descending ? -1 : 1;
  std::int64_t index = query.descending ? count - 1 : 0;
  if (query.after) index = static_cast<std::int64_t>(*query.after) - first + step;
  index = query.descending ? std::min(index, count - 1) : std::max<std::int64_t>(index, 0);
  std::uint64_t last = 0;
  for (; index >= 0 && index < count; index += step) {
    const Entry& entry = log.entries[static_cast<std::size_t>(index)];
    const StoredMessage& message = entry.message;
    if (entry.removed || message.expires_at_ms <= now_ms || message.published_at_ms < query.start_ms ||
        message.published_at_ms > query.end_ms) {
      continue;
    }
    if (page.messages.size() == query.limit) {
      page.next = last;
      break;
    }
    page.messages.push_back(&message);
    last = log.first + static_cast<std::uint64_t>(index);
  }
  return page;
}

std::size_t Mailbox::prune(std::int64_t now_ms, std::size_t max) {
  std::size_t removed = 0;
  while (removed < max && !expiries_.empty() && expiries_.top().first <= now_ms) {
    auto found = index_.find(expiries_.top().second);
    expiries_.pop();
    if (found == index_.end()) continue;
    auto [log, position] = found->second;
    Entry& entry = log->entries[position - log->first];
    stored_bytes_ -= entry.message.topic.size() + entry.message.message.size();
    index_.erase(found);
    entry.removed = true;
    entry.acked_by = {};
    ++removed;
    if (--log->live == 0) {
      const std::string topic = std::move(entry.message.topic);
      topics_.erase(topic);  // the whole log, entry included
      continue;
    }
    entry.message.message = {};
    while (log->entries.front().removed) {
      log->entries.pop_front();
      ++log->first;
    }
  }
  return removed;
}

}  // namespace keylink::relay
