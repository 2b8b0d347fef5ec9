#include "keylink/relay/offline_subscriptions.h"

#include <algorithm>

namespace keylink::relay {

void OfflineSubscriptions::add(std::string_view client_id, std::string_view topic, std::int64_t now_ms) {
  auto [client, created] = clients_.try_emplace(std::string(client_id));
  if (created) {
    client->second.serial = next_serial_++;
    client->second.since_ms = now_ms;
    order_.emplace_back(client->second.serial, client->first);
  }
  if (!by_topic_[std::string(topic)].insert(std::string(client_id)).second) return;
  client->second.topics.emplace_back(topic);
  ++pairs_;
  while (pairs_ > max_pairs_ && !order_.empty()) {
    const auto [serial, id] = std::move(order_.front());
    order_.pop_front();
    auto oldest = clients_.find(id);
    if (oldest != clients_.end() && oldest->second.serial == serial) remove(oldest);
  }
}

void OfflineSubscriptions::forget(std::string_view client_id) {
  auto found = clients_.find(client_id);
  if (found != clients_.end()) remove(found);
}

void OfflineSubscriptions::unsubscribed(std::string_view client_id, std::string_view topic) {
  auto client = clients_.find(client_id);
  auto subscribers = by_topic_.find(topic);
  if (client == clients_.end() || subscribers == by_topic_.end() || subscribers->second.erase(client_id) == 0) return;
  if (subscribers->second.empty()) by_topic_.erase(subscribers);
  auto& topics = client->second.topics;
  topics.erase(std::find(topics.begin(), topics.end(), topic));
  --pairs_;
  if (topics.empty()) remove(client);
}

void OfflineSubscriptions::prune(std::int64_t now_ms) {
  while (!order_.empty()) {
    auto found = clients_.find(order_.front().second);
    const bool stale = found == clients_.end() || found->second.serial != order_.front().first;
    if (!stale && found->second.since_ms + keep_ms_ > now_ms) return;
    order_.pop_front();
    if (!stale) remove(found);
  }
}

const absl::flat_hash_set<std::string, TextHash, TextEq>* OfflineSubscriptions::clients_of(
    std::string_view topic) const {
  auto found = by_topic_.find(topic);
  return found == by_topic_.end() ? nullptr : &found->second;
}

void OfflineSubscriptions::remove(TextNodeMap<Client>::iterator client) {
  for (const std::string& topic : client->second.topics) {
    auto subscribers = by_topic_.find(topic);
    subscribers->second.erase(client->first);
    if (subscribers->second.empty()) by_topic_.erase(subscribers);
  }
  pairs_ -= client->second.topics.size();
  clients_.erase(client);
  compact();
}

// A client that connects and goes again and again leaves an entry in order_ each time.
void OfflineSubscriptions::compact() {
  if (order_.size() <= 2 * clients_.size() + 64) return;
  std::erase_if(order_, [this](const auto& entry) {
    auto found = clients_.find(entry.second);
    return found == clients_.end() || found->second.serial != entry.first;
  });
}

}  // namespace keylink::relay
