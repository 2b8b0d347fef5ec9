#include "options.h"

#include <unistd.h>

#include <charconv>
#include <map>

namespace keylink::relay {

void add_relay_options(CLI::App& app, RelayOptions& options) {
  Limits& limits = options.server.limits;
  app.add_option("--listen", options.listen, "Address to listen on, HOST:PORT ([::1]:PORT for IPv6)")
      ->capture_default_str();
  app.add_option("--public-url", options.server.public_urls,
                 "URL clients are configured with; their auth token's aud must be one of these "
                 "(repeatable; default ws://HOST:PORT, or wss://HOST:PORT with --tls-cert)");
  app.add_option("--tls-cert", options.server.tls_cert_file,
                 "PEM certificate chain, the relay's own first: serve wss:// and https:// (TLS 1.2+) only")
      ->check(CLI::ExistingFile);
  app.add_option("--tls-key", options.server.tls_key_file, "PEM private key of --tls-cert")->check(CLI::ExistingFile);
  app.add_option("--store", options.store, "Where messages are kept: sqlite:PATH or memory (unused with --cluster)")
      ->capture_default_str()
      ->each([&options](const std::string&) { options.store_given = true; });
  app.add_option("--cluster", options.cluster,
                 "Join a cluster: nats://[USER:PASSWORD@]HOST:PORT of its NATS servers, comma-separated (JetStream "
                 "keeps the messages instead of --store; each node gets its own NATS user). Also from "
                 "KEYLINK_RELAY_CLUSTER, which keeps the password off the command line")
      ->envname("KEYLINK_RELAY_CLUSTER");
  app.add_option("--node", options.cluster_options.node, "This node's name in the cluster (logs, /health, NATS)")
      ->default_str("the host name");
  app.add_option("--cluster-ca", options.cluster_options.ca_file,
                 "PEM CA the NATS servers' certificates chain to: talk to them over TLS only, and check them")
      ->check(CLI::ExistingFile);
  app.add_option("--cluster-replicas", options.cluster_options.replicas,
                 "Copies JetStream keeps of each message: 3 survives the loss of one NATS server; at most the "
                 "number of NATS servers")
      ->capture_default_str()
      ->check(CLI::Range(1, 5));
  app.add_option("--durability", options.durability,
                 "When a publish is answered: power (fsynced), process (survives kill -9) or none; with --cluster, "
                 "once a majority of JetStream's replicas hold it")
      ->transform(CLI::CheckedTransformer(std::map<std::string, Durability>{
          {"power", Durability::kPower}, {"process", Durability::kProcess}, {"none", Durability::kNone}}))
      ->default_str("power");
  app.add_option("--min-ttl", limits.min_ttl_seconds,
                 "Shortest ttl a publish may ask for, seconds (WalletConnect's pairing ping asks for 30)")
      ->capture_default_str();
  app.add_option("--max-ttl", limits.max_ttl_seconds, "Longest ttl a publish may ask for, seconds")
      ->capture_default_str();
  app.add_option("--max-message-bytes", limits.max_message_bytes, "Largest message a publish may carry")
      ->capture_default_str();
  app.add_option("--max-frame-bytes", limits.max_frame_bytes, "Largest WebSocket message; larger closes with 1009")
      ->capture_default_str();
  app.add_option("--max-subscriptions", limits.max_subscriptions_per_client, "Topics one connection may subscribe to")
      ->capture_default_str();
  app.add_option("--max-batch", limits.max_topics_per_batch, "Topics or messages in one batch request")
      ->capture_default_str();
  app.add_option("--publish-rate", limits.publishes_per_second,
                 "Publishes per second per client id, across its connections and reconnects (0: no limit)")
      ->capture_default_str();
  app.add_option("--publish-burst", limits.publish_burst, "Publishes a client id may make at once")
      ->capture_default_str();
  app.add_option("--max-queued-bytes", limits.max_queued_bytes,
                 "Outbound bytes queued per connection; past it the slow consumer is closed")
      ->capture_default_str();
  app.add_option("--max-connections", limits.max_connections, "Connections in total")->capture_default_str();
  app.add_option("--max-connections-per-ip", limits.max_connections_per_ip,
                 "Connections from one IPv4 address or IPv6 /64")
      ->capture_default_str();
  app.add_option("--max-pending-connections", limits.max_pending_connections,
                 "Connections not upgraded to WebSocket yet (HTTP requests, slow upgrades), in total")
      ->capture_default_str();
  app.add_option("--max-pending-connections-per-ip", limits.max_pending_connections_per_ip,
                 "Connections not upgraded yet from one IPv4 address or IPv6 /64")
      ->capture_default_str();
  app.add_option_function<std::int64_t>(
      "--upgrade-timeout", [&limits](std::int64_t s) { limits.upgrade_timeout = std::chrono::seconds(s); },
      "Seconds a connection may take to upgrade to WebSocket, however many HTTP requests it makes first "
      "(default 30)");
  app.add_option("--max-stored-bytes", limits.max_stored_bytes,
                 "Bytes kept in all (topic, message and an overhead per message); past it publishes fail")
      ->capture_default_str();
  app.add_option("--max-stored-bytes-per-client", limits.max_stored_bytes_per_client,
                 "Bytes kept for the messages one client id published, across reconnects; past it its publishes fail")
      ->capture_default_str();
  app.add_option("--max-stored-bytes-per-ip", limits.max_stored_bytes_per_ip,
                 "Bytes kept for the messages published from one IPv4 address or IPv6 /64 since the relay started")
      ->capture_default_str();
  app.add_option("--delivery-window", limits.delivery_window,
                 "Unacknowledged deliveries per connection; the rest of its mailbox waits for acks")
      ->capture_default_str();
  app.add_option_function<std::int64_t>(
      "--ping-interval", [&limits](std::int64_t s) { limits.ping_interval = std::chrono::seconds(s); },
      "Seconds of quiet before the relay pings a peer (default 20)");
  app.add_option_function<std::int64_t>(
      "--idle-timeout", [&limits](std::int64_t s) { limits.idle_timeout = std::chrono::seconds(s); },
      "Seconds of silence before the relay drops a peer (default 60)");
  app.add_option("--push-webhook", options.push_webhook,
                 "http:// URL to POST {\"clientId\", \"topic\", \"tag\"} to (JSON; never the message) when a "
                 "publish with prompt: true finds a subscriber of its topic offline; 3 attempts (pauses of 1 s, 2 s), "
                 "5 s each, at most 1000 waiting (then dropped). No https: put a local forwarder in front");
  app.add_option("--max-push-subscriptions", limits.max_push_subscriptions,
                 "With --push-webhook: subscriptions of offline clients remembered, oldest client forgotten first")
      ->capture_default_str();
  app.add_option("--log-level", options.log_level, "error, warn, info or debug")
      ->check(CLI::IsMember({"error", "warn", "info", "debug"}))
      ->capture_default_str();
  app.add_flag("--bench-forward", options.server.bench_forward,
               "Benchmark mode: forward frames without JSON or storage (the limit relay_bench compares against)");
}

void finish_relay_options(RelayOptions& options) {
  const std::size_t colon = options.listen.rfind(':');
  std::uint16_t port = 0;
  const char* end = options.listen.data() + options.listen.size();
  if (colon == std::string::npos || std::from_chars(options.listen.data() + colon + 1, end, port).ptr != end) {
    throw CLI::ValidationError("--listen", "expected HOST:PORT, got '" + options.listen + "'");
  }
  std::string host = options.listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  options.server.host = host;
  options.server.port = port;
  if (!options.cluster.empty()) {
    if (options.server.bench_forward) throw CLI::ValidationError("--bench-forward", "not with --cluster");
    options.store_path.reset();
    options.cluster_options.servers = options.cluster;
    options.cluster_options.max_age_ms = options.server.limits.max_ttl_seconds * 1000;
    if (options.cluster_options.node.empty()) {
      char name[256] = {};
      gethostname(name, sizeof name - 1);
      options.cluster_options.node = name;
    }
  } else if (options.store == "memory") {
    options.store_path.reset();
  } else if (options.store.starts_with("sqlite:") && options.store.size() > 7) {
    options.store_path = options.store.substr(7);
  } else {
    throw CLI::ValidationError("--store", "expected sqlite:PATH or memory, got '" + options.store + "'");
  }
  if (options.server.tls_cert_file.empty() != options.server.tls_key_file.empty()) {
    throw CLI::ValidationError("--tls-cert", "--tls-cert and --tls-key go together");
  }
  const Limits& limits = options.server.limits;
  if (limits.min_ttl_seconds < 1 || limits.min_ttl_seconds > limits.max_ttl_seconds) {
    throw CLI::ValidationError("--min-ttl", "must be at least 1 and at most --max-ttl");
  }
  if (limits.max_message_bytes > limits.max_frame_bytes) {
    throw CLI::ValidationError("--max-message-bytes", "must not exceed --max-frame-bytes");
  }
  if (limits.max_push_subscriptions < 1) throw CLI::ValidationError("--max-push-subscriptions", "must be at least 1");
  if (limits.upgrade_timeout.count() < 1) throw CLI::ValidationError("--upgrade-timeout", "must be at least 1 s");
  if (limits.ping_interval.count() < 1 || limits.idle_timeout <= limits.ping_interval) {
    throw CLI::ValidationError("--idle-timeout", "must be longer than --ping-interval (both at least 1 s)");
  }
}

}  // namespace keylink::relay
