// keylink: the command-line client. main() wires the commands; each group lives in its own file.
#include <CLI/CLI.hpp>

#include "apps_commands.h"
#include "chat_commands.h"
#include "command.h"
#include "dapp_commands.h"
#include "device_commands.h"
#include "keystore_commands.h"
#include "session_commands.h"
#include "uri_commands.h"
#include "wallet_commands.h"

int main(int argc, char** argv) {
  CLI::App app{
      "keylink links your devices and wallets to one messaging identity, with no central authority.\n"
      "Run 'keylink COMMAND --help' for the options of a command. The passphrase of a home comes from\n"
      "KEYLINK_PASSPHRASE, or is asked on the terminal."};
  app.set_version_flag("--version", "keylink " KEYLINK_VERSION);
  app.require_subcommand(1);
  app.fallthrough();  // --home and --relay also after the subcommand: `keylink wallet serve --home DIR`
  keylink::cli::GlobalOptions global;
  keylink::cli::add_global_options(app, global);
  keylink::cli::add_uri_commands(app);
  keylink::cli::add_dapp_commands(app, global);
  keylink::cli::add_wallet_commands(app, global);
  keylink::cli::add_session_commands(app, global);
  keylink::cli::add_chat_commands(app, global);
  keylink::cli::add_device_commands(app, global);
  keylink::cli::add_keystore_commands(app, global);
  keylink::cli::add_apps_commands(app, global);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
