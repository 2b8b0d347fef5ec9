// Counters and gauges of one relay, exposed as Prometheus text on GET /metrics. Not thread-safe: the
// relay's event loop owns them.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace keylink::relay {

// How a cluster node's link to NATS stands, for /health and /metrics. Counts since the node started.
struct ClusterStatus {
  std::string node;
  bool connected = false;
  std::uint64_t reconnections = 0;
  std::uint64_t published_messages = 0;  // to JetStream, acknowledged
  std::uint64_t published_acks = 0;
  std::uint64_t published_ephemeral = 0;  // to NATS core
  std::uint64_t publish_failures = 0;     // messages and acks JetStream did not take
  std::uint64_t received_messages = 0;    // from JetStream: every node's, this one's included
  std::uint64_t received_acks = 0;
  std::uint64_t received_ephemeral = 0;  // from the other nodes
  std::uint64_t malformed = 0;           // arrivals that did not parse, dropped
  // JetStream's publish latency (publish to ack, per group of publishes), as a Prometheus histogram:
  // counts of groups at or under each bound (cumulative), their number and the sum of their latencies.
  static constexpr std::array<double, 9> kLatencyBounds{0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5};
  std::array<std::uint64_t, kLatencyBounds.size()> latency_buckets{};
  std::uint64_t latency_count = 0;
  double latency_seconds = 0;
};

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
  std::optional<ClusterStatus> cluster;         // a cluster node's

  std::string to_prometheus() const;
};

}  // namespace keylink::relay
