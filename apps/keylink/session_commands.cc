#include "session_commands.h"

#include <iostream>

#include <nlohmann/json.hpp>

#include "keylink/base/encoding.h"
#include "keylink/crypto/did_key.h"
#include "keylink/identity/bip39.h"
#include "keylink/identity/eth_account.h"
#include "keylink/runtime/device_store.h"
#include "keylink/identity/keystore_errors.h"
#include "keylink/keystore/local_keystore.h"

namespace keylink::cli {
namespace {

struct SessionOptions {
  bool json = false;
  std::string topic;
};

session::Metadata cli_metadata() {
  return {.name = "keylink CLI",
          .description = "keylink's command-line client",
          .url = "https://keylink.invalid",
          .icons = {}};
}

nlohmann::json describe(const session::Session& s) {
  std::vector<std::string> accounts;
  for (const auto& [key, ns] : s.namespaces) accounts.insert(accounts.end(), ns.accounts.begin(), ns.accounts.end());
  return {{"topic", s.topic},
          {"role", s.role == session::Role::kDapp ? "dapp" : "wallet"},
          {"peer", {{"name", s.peer.name}, {"url", s.peer.url}}},
          {"accounts", accounts},
          {"expiry", s.expiry},
          {"acknowledged", s.acknowledged}};
}

void run_list(const GlobalOptions& global, const SessionOptions& options) {
  Command command(global, cli_metadata());
  const auto sessions = command.node().engine().sessions();
  if (options.json) {
    auto list = nlohmann::json::array();
    for (const auto& s : sessions) list.push_back(describe(s));
    std::cout << list.dump(2) << std::endl;
    return;
  }
  if (sessions.empty()) say("No sessions. `keylink dapp connect` or `keylink wallet pair URI` makes one.");
  for (const auto& s : sessions) {
    const auto fields = describe(s);
    std::cout << escape_for_terminal(s.topic) << "  " << fields["role"].get<std::string>() << "  "
              << escape_for_terminal(s.peer.name) << " (" << escape_for_terminal(s.peer.url) << ")  "
              << escape_for_terminal(fields["accounts"].dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
              << "  expires " << s.expiry << '\n';
  }
}

void run_delete(const GlobalOptions& global, const SessionOptions& options) {
  Command command(global, cli_metadata());
  check(command.node().step([&](session::Engine& engine) { return engine.disconnect(options.topic); }));
  say("Deleted " + escape_for_terminal(options.topic) + "; telling the peer...");
  command.finish(0);
  exit_with(command.run(std::nullopt, {}));
}

// The account, the messaging identity it signed (made by the first chat command, which also looks for
// one on the relay first), and this installation: the home's own key, which the relay knows it by.
// Offline: it only reads the home.
void run_account(const GlobalOptions& global, const SessionOptions& options) {
  Command command(global);
  auto& home = command.home();
  auto keystore = keystore::LocalKeystore::load(home.db(), home.vault(), command.rng());
  if (!keystore && keystore.error().code != identity::KeystoreErrc::kNoIdentity) die(keystore.error().message);
  // A linked device has the account's messaging identity and, unless the link carried the recovery
  // phrase, no wallet key: the account is the wallet that signed the identity.
  const std::string address =
      keystore ? (*keystore)->account_address()
               : check(identity::EthAccount::load_or_create(home.db(), home.vault(), command.rng())).address().to_string();
  const nlohmann::json identity_key =
      keystore ? nlohmann::json(to_hex((*keystore)->public_key_bundle().identity_key.key.key))
               : nlohmann::json(nullptr);
  const std::string installation = crypto::did_key_from_ed25519(home.client_key().public_key());
  // The display name the account's devices agreed on, as this one last read it.
  auto devices = check(runtime::DeviceStore::open(home.db(), home.vault()));
  nlohmann::json display_name = nullptr;
  if (auto keys = check(devices.keys())) {
    if (auto name = check(devices.state(keys->id())).setting("display_name")) display_name = *name;
  }
  if (options.json) {
    std::cout << nlohmann::json{{"address", address},
                                {"caip10", "eip155:1:" + address},
                                {"identity_key", identity_key},
                                {"installation_id", installation},
                                {"display_name", display_name}}
                     .dump()
              << std::endl;
  } else {
    std::cout << "eip155 account: " << address << "\nXMTP identity key: "
              << (keystore ? identity_key.get<std::string>() : "none yet (the first chat command makes or restores it)")
              << "\ninstallation id: " << installation
              << (display_name.is_null() ? "" : "\ndisplay name: " + escape_for_terminal(display_name.get<std::string>()))
              << std::endl;
  }
}

// A new account from a new 12-word recovery phrase, shown once; or one restored from a phrase on stdin.
void run_create(const GlobalOptions& global, bool restore) {
  Command command(global, cli_metadata());
  auto& home = command.home();
  if (auto existing = identity::EthAccount::load(home.db(), home.vault()); existing) {
    die("this home has an account already (" + existing->address().to_string() +
        "); use another --home for another account");
  }
  // A device linked without the recovery phrase has the account's messaging identity and no wallet: a
  // new wallet here would be another account beside it.
  if (auto linked = keystore::LocalKeystore::load(home.db(), home.vault(), command.rng()); linked && !restore) {
    die("this home is a device of account " + (*linked)->account_address() +
        ", linked without its recovery phrase; its wallet is on the device it was linked from (`devices add --full` "
        "there links one that has it)");
  }
  std::optional<identity::Mnemonic> mnemonic;
  if (restore) {
    auto line = read_secret_line("Type or paste the recovery phrase (12 to 24 words), then Enter:");
    if (!line) die("no recovery phrase on stdin");
    auto parsed = identity::Mnemonic::parse(*line);
    secure_wipe(line->data(), line->size());
    mnemonic.emplace(check(std::move(parsed)));
  } else {
    mnemonic.emplace(check(identity::Mnemonic::generate(command.rng(), 12)));
  }
  if (auto linked = keystore::LocalKeystore::load(home.db(), home.vault(), command.rng()); linked) {
    const auto key = check(identity::eth_account_key(*mnemonic));
    const auto address = crypto::EthAddress::from_public_key(key.public_key()).to_string();
    if (address != (*linked)->account_address()) {
      die("that recovery phrase is account " + address + ", and this home is a device of account " +
          (*linked)->account_address() + "; nothing was changed");
    }
  }
  const auto account = check(identity::EthAccount::restore(home.db(), home.vault(), command.rng(), *mnemonic));
  if (!restore) {
    const SecretBytes phrase = mnemonic->phrase();
    say("Your recovery phrase. Write it down and keep it offline: whoever has it has this account, and it is\n"
        "not shown again.\n");
    std::cout.write(reinterpret_cast<const char*>(phrase.expose().data()), static_cast<std::streamsize>(phrase.size()));
    std::cout << "\n" << std::endl;
  }
  say("eip155 account: " + account.address().to_string());
}

}  // namespace

void add_session_commands(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<SessionOptions>();
  auto* sessions = app.add_subcommand("sessions", "List the sessions of this home; `sessions delete` ends one");
  sessions->add_flag("--json", options->json, "Print the sessions as JSON");
  sessions->callback([&global, options, sessions] {
    if (sessions->get_subcommands().empty()) run_list(global, *options);
  });
  auto* remove = sessions->add_subcommand("delete", "End a session, telling the peer (wc_sessionDelete)");
  remove->add_option("TOPIC", options->topic, "The session topic, from `keylink sessions`")->required();
  remove->callback([&global, options] { run_delete(global, *options); });

  auto* account = app.add_subcommand("account", "The wallet's eip155 account (BIP39 / BIP32 m/44'/60'/0'/0/0)");
  account->require_subcommand(1);
  auto* create = account->add_subcommand("create", "Make the account from a new recovery phrase, shown once");
  create->callback([&global] { run_create(global, false); });
  auto* restore = account->add_subcommand(
      "restore", "Restore the account from its recovery phrase, read from stdin (without echo on a terminal)");
  restore->callback([&global] { run_create(global, true); });
  auto* show = account->add_subcommand(
      "show",
      "Show the account's address, its XMTP identity key and this installation's id (a home without an account\n"
      "gets a random key, with no recovery phrase)");
  show->add_flag("--json", options->json, "Print as JSON");
  show->callback([&global, options] { run_account(global, *options); });
}

}  // namespace keylink::cli
