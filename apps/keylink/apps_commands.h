// `keylink apps [revoke|renew|log]`: the apps this wallet approved to use its messaging keys, and the
// audit log of what they asked (docs/keystore.md).
#pragma once

#include <CLI/CLI.hpp>

#include "command.h"

namespace keylink::cli {

void add_apps_commands(CLI::App& app, const GlobalOptions& global);

}  // namespace keylink::cli
