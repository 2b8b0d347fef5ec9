// keylink: the command-line client. main() wires the commands; each command lives in its own file.
#include <CLI/CLI.hpp>

#include "uri_commands.h"

int main(int argc, char** argv) {
  CLI::App app{
      "keylink links your devices and wallets to one messaging identity, with no central authority.\n"
      "Run 'keylink COMMAND --help' for the options of a command."};
  app.set_version_flag("--version", "keylink " KEYLINK_VERSION);
  app.require_subcommand(1);
  keylink::cli::add_uri_commands(app);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
