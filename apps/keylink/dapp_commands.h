// `keylink dapp connect` and `keylink dapp request`: the dApp role, asking a wallet for a session and
// for signatures.
#pragma once

#include <CLI/CLI.hpp>

#include "command.h"

namespace keylink::cli {

void add_dapp_commands(CLI::App& app, const GlobalOptions& global);

}  // namespace keylink::cli
