// `keylink sessions` (list, delete) and `keylink account show`.
#pragma once

#include <CLI/CLI.hpp>

#include "command.h"

namespace keylink::cli {

void add_session_commands(CLI::App& app, const GlobalOptions& global);

}  // namespace keylink::cli
