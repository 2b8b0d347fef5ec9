// The flags of keylink-relay, each with its default and what it limits.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "keylink/relay/journal.h"
#include "keylink/relay/server.h"

namespace keylink::relay {

struct RelayOptions {
  ServerOptions server;
  std::string listen = "127.0.0.1:8787";
  std::string store = "sqlite:keylink-relay.db";
  bool store_given = false;               // --store was on the command line
  std::optional<std::string> store_path;  // from --store; none for memory or --cluster
  Durability durability = Durability::kPower;
  std::string log_level = "info";
  std::string push_webhook;  // http:// URL; empty for no push
  std::string cluster;       // NATS server URLs, comma-separated; empty for a node alone
  ClusterOptions cluster_options;
};

void add_relay_options(CLI::App& app, RelayOptions& options);
// Checks the flags together and fills what follows from them. Throws CLI::ValidationError.
void finish_relay_options(RelayOptions& options);

}  // namespace keylink::relay
