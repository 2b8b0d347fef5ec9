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
  std::optional<std::string> store_path;  // from --store; none for memory
  Durability durability = Durability::kPower;
  std::string log_level = "info";
  std::string push_webhook;  // http:// URL; empty for no push
};

void add_relay_options(CLI::App& app, RelayOptions& options);
// Checks the flags together and fills what follows from them. Throws CLI::ValidationError.
void finish_relay_options(RelayOptions& options);

}  // namespace keylink::relay
