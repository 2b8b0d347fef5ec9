// Counters and gauges of one relay, exposed as Prometheus text on GET /metrics. Not thread-safe: the
// relay's event loop owns them.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace keylink::relay {

struct Metrics {
  std::uint64_t connections = 0;  // gauge
  std::uint64_t connections_total = 0;
  std::uint64_t pending_connections = 0;  // gauge: not upgraded yet
  std::uint64_t subscriptions = 0;        // gauge
  std::uint64_t publishes = 0;
  std::uint64_t ephemeral_publishes = 0;   // of publishes: delivered live, never stored
  std::uint64_t local_only_publishes = 0;  // of publishes: flagged localOnly (never leave this node)
  std::uint64_t deliveries = 0;
  std::uint64_t acks = 0;
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::uint64_t stored_messages = 0;  // gauge
  std::uint64_t stored_bytes = 0;     // gauge: Mailbox::cost of each
  std::uint64_t known_clients = 0;    // gauge
  std::uint64_t journal_commits = 0;
  std::uint64_t push_sent = 0;           // --push-webhook notices answered 2xx
  std::uint64_t push_failed = 0;         // given up after the last attempt
  std::uint64_t push_dropped = 0;        // not tried: the webhook's queue was full
  std::uint64_t push_subscriptions = 0;  // gauge: offline clients' subscriptions remembered for push
  std::map<std::string, std::uint64_t> errors;  // by kind: "parse", "rate_limit", "auth", ...

  std::string to_prometheus() const;
};

}  // namespace keylink::relay
