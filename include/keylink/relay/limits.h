// The relay's limits: every one a flag of keylink-relay, every breach an error that names it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace keylink::relay {

struct Limits {
  std::size_t max_message_bytes = 256 << 10;  // the `message` of a publish
  std::size_t max_frame_bytes = 1 << 20;      // one WebSocket message
  std::size_t max_subscriptions_per_client = 2000;
  std::size_t max_topics_per_batch = 500;
  std::size_t max_topic_bytes = 256;
  double publishes_per_second = 1000;  // per client, a token bucket; 0 turns it off
  double publish_burst = 2000;
  std::size_t max_queued_bytes = 16 << 20;  // outbound per connection; over it the slow consumer is closed
  std::size_t max_connections = 100'000;
  std::size_t max_connections_per_ip = 1000;
  // What WalletConnect's own clients send: from 30 s (wc_pairingPing) to 30 days (a pairing).
  std::int64_t min_ttl_seconds = 30;
  std::int64_t max_ttl_seconds = 30 * 24 * 3600;
  std::size_t max_stored_bytes = std::size_t{2} << 30;  // topics and messages kept; past it publishes fail
  std::size_t delivery_window = 1000;    // unacked deliveries per connection; the rest of a mailbox waits
  std::size_t max_fetch_messages = 500;  // per irn_fetchMessages answer
  std::size_t max_query_messages = 1000;
  std::chrono::seconds ping_interval{20};
  std::chrono::seconds idle_timeout{60};
};

}  // namespace keylink::relay
