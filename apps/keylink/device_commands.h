// `keylink devices [code|add]` and `keylink link`: the devices of an account, and linking a new one.
#pragma once

#include <CLI/CLI.hpp>

#include "command.h"

namespace keylink::cli {

void add_device_commands(CLI::App& app, const GlobalOptions& global);

}  // namespace keylink::cli
