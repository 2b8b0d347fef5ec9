// `keylink wallet pair` and `keylink wallet serve`: the wallet role, approving sessions and answering
// their requests with the home's eip155 account.
#pragma once

#include <CLI/CLI.hpp>

#include "command.h"

namespace keylink::cli {

void add_wallet_commands(CLI::App& app, const GlobalOptions& global);

}  // namespace keylink::cli
