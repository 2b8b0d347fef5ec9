#include "keystore_commands.h"

#include <iostream>

#include "keylink/base/encoding.h"
#include "keylink/crypto/ethereum.h"
#include "keylink/identity/keystore_errors.h"
#include "keylink/keystore/rpc.h"
#include "keylink/runtime/keystore_socket_server.h"
#include "keylink/runtime/socket_keystore_transport.h"
#include "keylink/runtime/wallet_keystore.h"
#include "terminal_qr.h"

namespace keylink::cli {
namespace {

struct KeystoreOptions {
  std::string socket;
  bool push = false;
  bool json = false;
  bool yes = false;
  int timeout = 300;
};

// The methods this CLI asks for: every one of the namespace but the push server's HMAC keys, unless
// asked (docs/keystore.md: push is off unless asked).
std::vector<std::string> wanted_methods(bool push) {
  std::vector<std::string> out;
  for (const auto& method : keystore::methods()) {
    if (method.scope == keystore::Scope::kPush && !push) continue;
    out.emplace_back(method.name);
  }
  return out;
}

// "xmtp:v2:0xAbC…" of the session's xmtp namespace, as an address.
std::optional<crypto::EthAddress> xmtp_account(const session::Session& s) {
  const auto found = s.namespaces.find(std::string(keystore::kNamespace));
  if (found == s.namespaces.end()) return std::nullopt;
  const std::string prefix = std::string(keystore::kChain) + ":";
  for (const auto& account : found->second.accounts) {
    if (!account.starts_with(prefix)) continue;
    if (auto address = crypto::EthAddress::parse(account.substr(prefix.size()))) return *address;
  }
  return std::nullopt;
}

void refuse_own_identity(runtime::Home& home) {
  if (check(runtime::holds_own_identity(home.db()))) {
    die("this home holds messaging keys of its own; connect a new home (--home DIR) to the wallet instead");
  }
}

void connected(const runtime::KeystoreRemote& remote, bool json) {
  if (json) {
    std::cout << nlohmann::json{{"kind", remote.kind == runtime::KeystoreRemote::Kind::kSocket ? "socket" : "session"},
                                {"where", remote.where},
                                {"address", remote.address},
                                {"wallet", remote.wallet}}
                     .dump()
              << std::endl;
  } else {
    std::cout << "keystore " << remote.address << ' ' << escape_for_terminal(remote.where) << std::endl;
  }
}

void connect_socket(const GlobalOptions& global, const KeystoreOptions& options) {
  Command command(global);
  refuse_own_identity(command.home());
  say("Asking the keystore at " + escape_for_terminal(options.socket) + " to approve this app...");
  const auto self = app_metadata();
  const auto transport = check(runtime::SocketKeystoreTransport::connect(
      command.home(), {.path = options.socket, .app_name = self.name, .app_url = self.url,
                       .methods = wanted_methods(options.push), .timeout = std::chrono::seconds(options.timeout)}));
  const auto& approval = transport->approval();
  const runtime::KeystoreRemote remote{.kind = runtime::KeystoreRemote::Kind::kSocket,
                                       .where = options.socket,
                                       .address = approval.address,
                                       .wallet = "the keystore at " + options.socket};
  check(runtime::save_keystore_remote(command.home().db(), remote));
  say("Approved until " + escape_for_terminal(approval.expires_at) + ": this home's chat commands now use the keys of " +
      approval.address + ", which stay in the wallet.");
  connected(remote, options.json);
}

void connect_session(const GlobalOptions& global, const KeystoreOptions& options) {
  // The session's own relay client, the one the keystore transport uses later.
  Command command(global, app_metadata(), Command::OverKeystoreLink{});
  refuse_own_identity(command.home());
  const auto app_key = check(command.session_home().key(runtime::kAppKeyName, command.rng()));
  session::ProposalNamespaces wanted{
      {std::string(keystore::kNamespace),
       {.chains = {std::string(keystore::kChain)}, .methods = wanted_methods(options.push), .events = {}}}};
  const std::map<std::string, std::string> properties{
      {std::string(keystore::kAppKeyProperty), to_base64(app_key.public_key())}};
  const auto connection = check(
      command.node().step([&](session::Engine& engine) { return engine.connect(wanted, {}, properties); }));
  std::cout << connection.uri << std::endl;
  std::cerr << render_terminal_qr(connection.uri).value_or("") << std::flush;
  say("Scan the code with the wallet that holds your messaging keys, or paste the URI into\n"
      "`keylink wallet pair` there. Waiting for the wallet (the URI expires in 5 minutes)...");
  command.on_event = [&](const session::Action& action) {
    if (const auto* settled = std::get_if<session::SessionSettled>(&action)) {
      const auto& s = settled->session;
      const auto address = xmtp_account(s);
      if (!address) die("the wallet approved the session without an xmtp:v2 account: it holds no messaging keys");
      const runtime::KeystoreRemote remote{.kind = runtime::KeystoreRemote::Kind::kSession,
                                           .where = s.topic,
                                           .address = address->to_string(),
                                           .wallet = s.peer.name};
      check(runtime::save_keystore_remote(command.home().db(), remote));
      say("Approved by " + escape_for_terminal(s.peer.name) + ": this home's chat commands now use the keys of " +
          remote.address + ", which stay in the wallet.");
      connected(remote, options.json);
      command.finish(0);
    } else if (const auto* rejected = std::get_if<session::ProposalRejected>(&action)) {
      die("the wallet rejected the app (" + std::to_string(rejected->error.code) +
          "): " + escape_for_terminal(rejected->error.message));
    }
  };
  exit_with(command.run(std::chrono::seconds(options.timeout),
                        "no wallet answered within " + std::to_string(options.timeout) + " s"));
}

void run_status(const GlobalOptions& global, const KeystoreOptions& options) {
  Command command(global);
  const auto remote = check(runtime::load_keystore_remote(command.home().db()));
  if (!remote) {
    const bool own = check(runtime::holds_own_identity(command.home().db()));
    if (options.json) {
      std::cout << nlohmann::json{{"kind", own ? "local" : "none"}}.dump() << std::endl;
    } else {
      say(own ? "This home holds its messaging keys itself." : "This home has no messaging keys yet.");
    }
    return;
  }
  if (options.json) return connected(*remote, true);
  std::cout << "keys of " << remote->address << " in " << escape_for_terminal(remote->wallet) << " ("
            << (remote->kind == runtime::KeystoreRemote::Kind::kSocket ? "socket " : "session ")
            << escape_for_terminal(remote->where) << ")" << std::endl;
}

// A local app asking to be approved, as the user sees it before answering.
std::string describe(const keystore::AppInfo& app, const std::vector<keystore::Scope>& scopes,
                     const std::vector<keystore::Approval>& lookalikes) {
  std::string out = "Local app " + escape_for_terminal(app.name) + " asks to use this wallet's messaging keys\n";
  out += "  url:     " + escape_for_terminal(app.url) + "  (claimed, not verified)\n";
  out += "  program: " + escape_for_terminal(app.origin) + "\n";
  out += "  app key: " + to_hex(ByteView(app.app_key).first(8)) + "...\n";
  out += "  scopes: ";
  for (const auto scope : scopes) out += " " + std::string(keystore::scope_name(scope));
  out += "; for 30 days";
  for (const auto& other : lookalikes) {
    out += "\n  WARNING: approval " + other.id + " (" + escape_for_terminal(other.app_name) +
           ") claims the same url with another key: this is a different app";
  }
  return out;
}

void run_serve(const GlobalOptions& global, const KeystoreOptions& options) {
  Command command(global);
  auto wallet = runtime::WalletKeystore::open(command.home(), command.rng(), command.clock());
  if (!wallet) {
    die(wallet.error().code == identity::KeystoreErrc::kNoIdentity
            ? "this home holds no messaging keys to serve: make them first (keylink chat list)"
            : wallet.error().message);
  }
  (*wallet)->gate().on_pause = [](const keystore::Approval& approval) {
    say("Paused approval " + approval.id + " (" + escape_for_terminal(approval.app_name) + ") until " +
        keystore::iso_time(*approval.paused_until) + ": over its rate limit. `keylink apps renew " + approval.id +
        "` lifts the pause.");
  };
  runtime::KeystoreSocketHandlers handlers{
      .on_hello =
          [&](const runtime::SocketPeer& peer, const wire::Json& params) {
            return (*wallet)->hello(peer, params, [&](const keystore::AppInfo& app, const auto& scopes,
                                                      const auto& lookalikes) {
              const std::string shown = describe(app, scopes, lookalikes);
              if (options.yes) say(shown + "\nApproved without asking (--yes).");
              return options.yes || ask_yes(shown + "\nApprove this app?");
            });
          },
      .on_request =
          [&](const std::string& channel, const std::string& method, const wire::Json& params) {
            auto outcome = (*wallet)->answer(channel, method, params);
            std::cout << "request " << escape_for_terminal(channel) << ' ' << escape_for_terminal(method)
                      << (outcome ? " ok" : " error " + std::to_string(outcome.error().code)) << std::endl;
            return outcome;
          },
  };
  const auto server = check(runtime::KeystoreSocketServer::listen(command.io(), options.socket, std::move(handlers)));
  say("Serving the messaging keys of " + (*wallet)->address() + " to local apps on " +
      escape_for_terminal(options.socket) + " (Ctrl-C stops)");
  std::cout << "serving " << escape_for_terminal(options.socket) << std::endl;
  exit_with(command.run(std::nullopt, {}));
}

}  // namespace

void add_keystore_commands(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<KeystoreOptions>();
  auto* keystore = app.add_subcommand(
      "keystore", "Messaging keys that stay in a wallet: connect this home to one, or serve a wallet's to local apps");
  keystore->require_subcommand(1);

  auto* connect = keystore->add_subcommand(
      "connect",
      "Make this home an app whose messaging keys stay in a wallet: shows a WalletConnect URI and QR code\n"
      "(or asks a local keystore with --socket), and exits 0 once the wallet approved the app for 30 days");
  connect->add_option("--socket", options->socket, "A local keystore's Unix socket (keylink keystore serve)");
  connect->add_flag("--push", options->push, "Also ask for the HMAC keys a push server needs");
  connect->add_flag("--json", options->json, "Print the connection as JSON");
  connect->add_option("--timeout", options->timeout, "Seconds to wait for the wallet's approval")->capture_default_str();
  connect->callback([&global, options] {
    if (options->socket.empty()) return connect_session(global, *options);
    connect_socket(global, *options);
  });

  auto* serve = keystore->add_subcommand(
      "serve", "Serve this home's messaging keys to local apps over a Unix socket (0600, same user only),\n"
               "each app approved once for 30 days; the keys never leave this process");
  serve->add_option("--socket", options->socket, "The socket's path")->required();
  serve->add_flag("--yes,-y", options->yes, "Approve every app that asks without asking (for scripts)");
  serve->callback([&global, options] { run_serve(global, *options); });

  auto* status = keystore->add_subcommand("status", "Where this home's messaging keys are");
  status->add_flag("--json", options->json, "Print it as JSON");
  status->callback([&global, options] { run_status(global, *options); });
}

}  // namespace keylink::cli
