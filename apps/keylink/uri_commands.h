// `keylink uri new` and `keylink uri parse`: make and check WalletConnect pairing URIs.
#pragma once

#include <CLI/CLI.hpp>

namespace keylink::cli {

void add_uri_commands(CLI::App& app);

}  // namespace keylink::cli
