#include "keylink/relay/metrics.h"

#include <cstdio>

namespace keylink::relay {
namespace {

void metric(std::string& out, const char* name, const char* type, const char* help, std::uint64_t value) {
  out += std::string("# HELP keylink_relay_") + name + " " + help + "\n# TYPE keylink_relay_" + name + " " + type +
         "\nkeylink_relay_" + name + " " + std::to_string(value) + "\n";
}

void cluster_metrics(std::string& out, const ClusterStatus& cluster) {
  metric(out, "cluster_connected", "gauge", "1 while the node's NATS connection is up.", cluster.connected ? 1 : 0);
  metric(out, "cluster_reconnections_total", "counter", "Times the NATS connection came back.", cluster.reconnections);
  metric(out, "cluster_published_messages_total", "counter", "Messages JetStream acknowledged to this node.",
         cluster.published_messages);
  metric(out, "cluster_published_acks_total", "counter", "Acks JetStream acknowledged to this node.",
         cluster.published_acks);
  metric(out, "cluster_published_ephemeral_total", "counter", "Ephemeral messages sent to the other nodes.",
         cluster.published_ephemeral);
  metric(out, "cluster_publish_failures_total", "counter", "Messages and acks NATS did not take.",
         cluster.publish_failures);
  metric(out, "cluster_received_messages_total", "counter", "Messages read from JetStream, every node's.",
         cluster.received_messages);
  metric(out, "cluster_received_acks_total", "counter", "Acks read from JetStream, every node's.",
         cluster.received_acks);
  metric(out, "cluster_received_ephemeral_total", "counter", "Ephemeral messages from the other nodes.",
         cluster.received_ephemeral);
  metric(out, "cluster_malformed_total", "counter", "Messages from NATS that did not parse, dropped.",
         cluster.malformed);
  out +=
      "# HELP keylink_relay_cluster_publish_seconds JetStream publish latency: a group of publishes to its acks.\n"
      "# TYPE keylink_relay_cluster_publish_seconds histogram\n";
  for (std::size_t i = 0; i < ClusterStatus::kLatencyBounds.size(); ++i) {
    char bound[32];
    std::snprintf(bound, sizeof bound, "%g", ClusterStatus::kLatencyBounds[i]);
    out += "keylink_relay_cluster_publish_seconds_bucket{le=\"" + std::string(bound) + "\"} " +
           std::to_string(cluster.latency_buckets[i]) + "\n";
  }
  out += "keylink_relay_cluster_publish_seconds_bucket{le=\"+Inf\"} " + std::to_string(cluster.latency_count) + "\n";
  out += "keylink_relay_cluster_publish_seconds_sum " + std::to_string(cluster.latency_seconds) + "\n";
  out += "keylink_relay_cluster_publish_seconds_count " + std::to_string(cluster.latency_count) + "\n";
}

}  // namespace

std::string Metrics::to_prometheus() const {
  std::string out;
  metric(out, "connections", "gauge", "Open client connections.", connections);
  metric(out, "connections_total", "counter", "Client connections accepted.", connections_total);
  metric(out, "pending_connections", "gauge", "Connections not upgraded to WebSocket yet.", pending_connections);
  metric(out, "subscriptions", "gauge", "Topic subscriptions of connected clients.", subscriptions);
  metric(out, "publishes_total", "counter", "Messages published.", publishes);
  metric(out, "ephemeral_publishes_total", "counter", "Messages published ephemeral: delivered live, never stored.",
         ephemeral_publishes);
  metric(out, "local_only_publishes_total", "counter", "Messages published localOnly: they never leave this node.",
         local_only_publishes);
  metric(out, "deliveries_total", "counter", "Messages delivered to subscribers.", deliveries);
  metric(out, "acks_total", "counter", "Deliveries acknowledged.", acks);
  metric(out, "bytes_in_total", "counter", "WebSocket payload bytes received.", bytes_in);
  metric(out, "bytes_out_total", "counter", "WebSocket payload bytes sent.", bytes_out);
  metric(out, "stored_messages", "gauge", "Messages kept for their ttl.", stored_messages);
  metric(out, "stored_bytes", "gauge", "What kept messages cost: topic and message bytes, and an overhead per message.",
         stored_bytes);
  metric(out, "known_clients", "gauge",
         "Client ids and networks kept: connected, or with acks or payments of kept messages.", known_clients);
  metric(out, "journal_commits_total", "counter", "Store transactions committed.", journal_commits);
  metric(out, "push_sent_total", "counter", "Push notices the webhook answered with 2xx.", push_sent);
  metric(out, "push_failed_total", "counter", "Push notices given up after the last attempt.", push_failed);
  metric(out, "push_dropped_total", "counter", "Push notices dropped untried: the webhook's queue was full.",
         push_dropped);
  metric(out, "push_subscriptions", "gauge", "Subscriptions of offline clients remembered for push.",
         push_subscriptions);
  if (cluster) cluster_metrics(out, *cluster);
  out +=
      "# HELP keylink_relay_errors_total Requests refused and connections closed, by kind.\n"
      "# TYPE keylink_relay_errors_total counter\n";
  for (const auto& [kind, count] : errors) {
    out += "keylink_relay_errors_total{kind=\"" + kind + "\"} " + std::to_string(count) + "\n";
  }
  return out;
}

}  // namespace keylink::relay
