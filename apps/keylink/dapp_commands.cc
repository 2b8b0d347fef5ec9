#include "dapp_commands.h"

#include <iostream>

#include "keylink/base/encoding.h"
#include "keylink/crypto/ethereum.h"
#include "terminal_qr.h"

namespace keylink::cli {
namespace {

struct DappOptions {
  std::vector<std::string> methods{"personal_sign"};
  std::vector<std::string> chains{"eip155:1"};
  int connect_timeout = 300;
  int request_timeout = 60;
  bool json = false;
  std::string session;
  std::string chain;
  std::string method;
  std::string text;
};

session::Metadata dapp_metadata() {
  return {.name = "keylink CLI dApp",
          .description = "keylink's command-line dApp",
          .url = "https://keylink.invalid",
          .icons = {}};
}

// The session's first eip155 account, split: "eip155:1:0xAbC…" -> {"eip155:1", address}.
struct Account {
  std::string chain;
  crypto::EthAddress address;
};
std::optional<Account> first_eip155_account(const session::Session& session) {
  auto found = session.namespaces.find("eip155");
  if (found == session.namespaces.end()) return std::nullopt;
  for (const auto& account : found->second.accounts) {
    const auto colon = account.rfind(':');
    if (colon == std::string::npos) continue;
    auto address = crypto::EthAddress::parse(account.substr(colon + 1));
    if (address) return Account{account.substr(0, colon), *address};
  }
  return std::nullopt;
}

void run_connect(const GlobalOptions& global, const DappOptions& options) {
  Command command(global, dapp_metadata());
  session::ProposalNamespaces wanted{{"eip155", {.chains = options.chains, .methods = options.methods, .events = {}}}};
  const auto connection =
      check(command.node().step([&](session::Engine& engine) { return engine.connect({}, wanted); }));
  std::cout << connection.uri << std::endl;
  std::cerr << render_terminal_qr(connection.uri).value_or("") << std::flush;
  say("Scan the code with a WalletConnect wallet, or paste the URI into `keylink wallet pair`.\n"
      "Waiting for the wallet (the URI expires in 5 minutes)...");
  command.on_event = [&](const session::Action& action) {
    if (const auto* settled = std::get_if<session::SessionSettled>(&action)) {
      const auto& s = settled->session;
      const auto account = first_eip155_account(s);
      say("Session approved by " + escape_for_terminal(s.peer.name) + " (" + escape_for_terminal(s.peer.url) + ")");
      if (options.json) {
        std::vector<std::string> accounts;
        for (const auto& [key, ns] : s.namespaces)
          accounts.insert(accounts.end(), ns.accounts.begin(), ns.accounts.end());
        std::cout << nlohmann::json{{"topic", s.topic},
                                    {"accounts", accounts},
                                    {"peer", {{"name", s.peer.name}, {"url", s.peer.url}}}}
                         .dump()
                  << std::endl;
      } else {
        std::cout << "session " << escape_for_terminal(s.topic) << ' '
                  << escape_for_terminal(account ? account->chain + ":" + account->address.to_string() : "-")
                  << std::endl;
      }
      command.finish(0);
    } else if (const auto* rejected = std::get_if<session::ProposalRejected>(&action)) {
      die("the wallet rejected the session (" + std::to_string(rejected->error.code) +
          "): " + escape_for_terminal(rejected->error.message));
    }
  };
  exit_with(command.run(std::chrono::seconds(options.connect_timeout),
                        "no wallet answered within " + std::to_string(options.connect_timeout) + " s"));
}

// The newest session of this home in the dApp role, or the one named.
session::Session pick_session(const runtime::SessionNode& node, const std::string& topic) {
  std::optional<session::Session> chosen;
  for (const auto& s : node.engine().sessions()) {
    if (s.role != session::Role::kDapp) continue;
    if (topic.empty() ? (!chosen || s.expiry > chosen->expiry) : s.topic == topic) chosen = s;
  }
  if (!chosen) {
    die(topic.empty() ? "no session yet: run `keylink dapp connect` first"
                      : "no session " + escape_for_terminal(topic));
  }
  return *chosen;
}

void run_request(const GlobalOptions& global, const DappOptions& options) {
  if (options.method != "personal_sign") die("only personal_sign can be asked from the CLI so far");
  Command command(global, dapp_metadata());
  const auto s = pick_session(command.node(), options.session);
  const auto account = first_eip155_account(s);
  if (!account) die("the session has no eip155 account");
  const std::string chain = options.chain.empty() ? account->chain : options.chain;
  const std::string text = argument_or_stdin(options.text);
  const Bytes message(text.begin(), text.end());
  wire::Json params = {"0x" + to_hex(message), account->address.to_string()};
  const auto id = check(command.node().step(
      [&](session::Engine& engine) { return engine.request(s.topic, chain, "personal_sign", params); }));
  say("Asked " + escape_for_terminal(s.peer.name) + " to sign with " + account->address.to_string() + "; waiting...");
  command.on_event = [&](const session::Action& action) {
    if (const auto* response = std::get_if<session::ResponseReceived>(&action)) {
      if (response->id != id) return;
      if (const auto* error = std::get_if<wire::RpcError>(&response->outcome)) {
        die("the wallet refused (" + std::to_string(error->code) + "): " + escape_for_terminal(error->message));
      }
      const auto& result = std::get<wire::Json>(response->outcome);
      const std::string answer = result.is_string() ? result.get<std::string>() : "";
      auto signature = from_hex_array<65>(answer.starts_with("0x") ? answer.substr(2) : answer);
      if (!signature) {
        die("the wallet answered something that is not a signature: " +
            escape_for_terminal(result.dump(-1, ' ', false, wire::Json::error_handler_t::replace)));
      }
      auto signer = crypto::personal_sign_recover(message, *signature);
      if (!signer || !(*signer == account->address))
        die("the signature does not recover to " + account->address.to_string());
      say("Signature verified: it recovers to " + account->address.to_string());
      std::cout << answer << std::endl;
      command.finish(0);
    } else if (const auto* expired = std::get_if<session::RequestExpired>(&action); expired && expired->id == id) {
      die("the request expired before the wallet answered");
    } else if (const auto* deleted = std::get_if<session::SessionDeleted>(&action);
               deleted && deleted->topic == s.topic) {
      die("the wallet ended the session: " + escape_for_terminal(deleted->reason.message));
    }
  };
  exit_with(command.run(std::chrono::seconds(options.request_timeout),
                        "the wallet did not answer within " + std::to_string(options.request_timeout) +
                            " s (is `keylink wallet serve` running?); the request stays in the relay's mailbox"));
}

}  // namespace

void add_dapp_commands(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<DappOptions>();
  auto* dapp = app.add_subcommand("dapp", "Act as an app: ask a wallet for a session and for signatures");
  dapp->require_subcommand(1);

  auto* connect =
      dapp->add_subcommand("connect", "Show a pairing URI and QR code, and wait until a wallet approves the session");
  connect->add_option("--methods", options->methods, "Methods to ask for")->delimiter(',')->capture_default_str();
  connect->add_option("--chains", options->chains, "CAIP-2 chains to ask for")->delimiter(',')->capture_default_str();
  connect->add_option("--timeout", options->connect_timeout, "Seconds to wait for the wallet")->capture_default_str();
  connect->add_flag("--json", options->json, "Print the session as JSON");
  connect->callback([&global, options] { run_connect(global, *options); });

  auto* request = dapp->add_subcommand(
      "request", "Ask the wallet of a session to sign, wait for the answer, verify it and print it");
  request->add_option("--session", options->session, "The session topic (default: the newest session)");
  request->add_option("--chain", options->chain, "CAIP-2 chain (default: the account's chain)");
  request->add_option("--timeout", options->request_timeout, "Seconds to wait for the wallet")->capture_default_str();
  request->add_option("METHOD", options->method, "personal_sign")->required();
  request->add_option("TEXT", options->text, "The text to sign; - reads it from stdin")->required();
  request->callback([&global, options] { run_request(global, *options); });
}

}  // namespace keylink::cli
