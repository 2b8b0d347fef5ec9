// `keylink chat send|list|read|watch` and `keylink contacts`: XMTP v2 messaging through the relay.
#pragma once

#include <CLI/CLI.hpp>

#include "command.h"

namespace keylink::cli {

void add_chat_commands(CLI::App& app, const GlobalOptions& global);

}  // namespace keylink::cli
