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
  // Per client id, a token bucket that outlives its connections (a reconnect gets no fresh burst); 0 turns
  // it off.
  double publishes_per_second = 1000;
  double publish_burst = 2000;
  std::size_t max_queued_bytes = 16 << 20;  // outbound per connection; over it the slow consumer is closed
  std::size_t max_connections = 100'000;
  std::size_t max_connections_per_ip = 1000;  // per network (an IPv4 address, an IPv6 /64): network.h
  // Connections that have not upgraded yet (HTTP requests, /health, /metrics, slow upgrades), and how
  // long one may stay so, however many requests it makes.
  std::size_t max_pending_connections = 10'000;
  std::size_t max_pending_connections_per_ip = 100;
  std::chrono::seconds upgrade_timeout{30};
  // What WalletConnect's own clients send: from 30 s (wc_pairingPing) to 30 days (a pairing).
  std::int64_t min_ttl_seconds = 30;
  std::int64_t max_ttl_seconds = 30 * 24 * 3600;
  // What kept messages cost (topic, message, and Mailbox::cost's overhead per message), in all and per
  // publisher: per client id and per network, however many connections they use. Past one, publishes fail.
  std::size_t max_stored_bytes = std::size_t{2} << 30;
  std::size_t max_stored_bytes_per_client = 64 << 20;
  std::size_t max_stored_bytes_per_ip = 256 << 20;
  std::size_t delivery_window = 1000;    // unacked deliveries per connection; the rest of a mailbox waits
  std::size_t max_fetch_messages = 500;  // per irn_fetchMessages answer
  std::size_t max_query_messages = 1000;
  // With --push-webhook: (client, topic) subscriptions of offline clients remembered, each for at most
  // max_ttl_seconds (no message waits longer); past it the oldest client's go.
  std::size_t max_push_subscriptions = 200'000;
  std::chrono::seconds ping_interval{20};
  std::chrono::seconds idle_timeout{60};
};

}  // namespace keylink::relay
