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
  const std::uint64_t position = next_position_++;
  stored_bytes_ += message.topic.size() + message.message.size();
  const MessageId id = message.id;
  expiries_.emplace(message.expires_at_ms, id);
  auto [entry, added] = log.emplace(position, Entry{std::move(message), {}});
  index_.emplace(id, std::pair{&log, position});
  return &entry->second.message;
}

bool Mailbox::ack(std::string_view client_id, const MessageId& id) {
  auto found = index_.find(id);
  if (found == index_.end()) return false;
  auto& [log, position] = found->second;
  return log->at(position).acked_by.emplace(client_id).second;
}

std::vector<const StoredMessage*> Mailbox::pending(std::string_view client_id, std::string_view topic,
                                                   std::int64_t now_ms, std::size_t limit, const IdSet& skip) const {
  std::vector<const StoredMessage*> out;
  auto log = topics_.find(std::string(topic));
  if (log == topics_.end()) return out;
  const std::string client(client_id);
  for (const auto& [position, entry] : log->second) {
    if (out.size() == limit) break;
    if (entry.message.expires_at_ms > now_ms && !entry.acked_by.contains(client) && !skip.contains(entry.message.id)) {
      out.push_back(&entry.message);
    }
  }
  return out;
}

HistoryPage Mailbox::history(std::string_view topic, const HistoryQuery& query, std::int64_t now_ms) const {
  HistoryPage page;
  auto log = topics_.find(std::string(topic));
  if (log == topics_.end() || query.limit == 0) return page;
  // The cursor is the position of the last message returned; the next page starts past it.
  auto collect = [&](auto it, auto end) {
    std::uint64_t last = 0;
    for (; it != end; ++it) {
      const StoredMessage& message = it->second.message;
      if (message.expires_at_ms <= now_ms || message.published_at_ms < query.start_ms ||
          message.published_at_ms > query.end_ms) {
        continue;
      }
      if (page.messages.size() == query.limit) {
        page.next = last;
        return;
      }
      page.messages.push_back(&message);
      last = it->first;
    }
  };
  const TopicLog& entries = log->second;
  if (query.descending) {
    collect(query.after ? std::make_reverse_iterator(entries.lower_bound(*query.after)) : entries.rbegin(),
            entries.rend());
  } else {
    collect(query.after ? entries.upper_bound(*query.after) : entries.begin(), entries.end());
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
    const auto entry = log->find(position);
    const StoredMessage& message = entry->second.message;
    stored_bytes_ -= message.topic.size() + message.message.size();
    const std::string topic = message.topic;
    log->erase(entry);
    index_.erase(found);
    if (log->empty()) topics_.erase(topic);
    ++removed;
  }
  return removed;
}

}  // namespace keylink::relay
