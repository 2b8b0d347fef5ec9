#include "keylink/relay/metrics.h"

namespace keylink::relay {
namespace {

void metric(std::string& out, const char* name, const char* type, const char* help, std::uint64_t value) {
  out += std::string("# HELP keylink_relay_") + name + " " + help + "\n# TYPE keylink_relay_" + name + " " + type +
         "\nkeylink_relay_" + name + " " + std::to_string(value) + "\n";
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
  out +=
      "# HELP keylink_relay_errors_total Requests refused and connections closed, by kind.\n"
      "# TYPE keylink_relay_errors_total counter\n";
  for (const auto& [kind, count] : errors) {
    out += "keylink_relay_errors_total{kind=\"" + kind + "\"} " + std::to_string(count) + "\n";
  }
  return out;
}

}  // namespace keylink::relay
