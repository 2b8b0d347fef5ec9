// `keylink keystore connect|status|serve`: a home whose messaging keys stay in a wallet (the app side),
// and a wallet's keystore served to local apps over a Unix socket (docs/keystore.md).
#pragma once

#include <CLI/CLI.hpp>

#include "command.h"

namespace keylink::cli {

void add_keystore_commands(CLI::App& app, const GlobalOptions& global);

}  // namespace keylink::cli
