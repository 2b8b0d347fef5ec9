#include "wallet_commands.h"

#include <algorithm>
#include <iostream>

#include "keylink/base/encoding.h"
#include "keylink/identity/eth_account.h"

namespace keylink::cli {
namespace {

struct WalletOptions {
  std::string uri;
  bool yes = false;
  int timeout = 60;
};

session::Metadata wallet_metadata() {
  return {.name = "keylink wallet",
          .description = "keylink's command-line wallet",
          .url = "https://keylink.invalid",
          .icons = {}};
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out.empty() ? "-" : out;
}

void show(const session::Proposal& proposal) {
  say("Session proposal from " + proposal.proposer.name);
  say("  url:    " + proposal.proposer.url + "  (verify: " + proposal.verify_status + ")");
  for (const auto* group : {&proposal.required, &proposal.optional}) {
    for (const auto& [key, ns] : *group) {
      say("  " + key + (group == &proposal.required ? " (required)" : " (optional)") + ": chains " + joined(ns.chains) +
          "; methods " + joined(ns.methods));
    }
  }
}

// What the wallet grants: eip155 on the chains asked (eip155:1 when none) with this account, and the
// methods and events asked; keylink's namespace likewise, its methods answered as unsupported for now.
// Other namespaces are granted only when optional (by leaving them out).
Result<session::SessionNamespaces> grant(const session::Proposal& proposal, const crypto::EthAddress& address) {
  session::SessionNamespaces granted;
  for (const auto* group : {&proposal.required, &proposal.optional}) {
    for (const auto& [key, ns] : *group) {
      if (key != "eip155" && key != "keylink") {
        if (group == &proposal.required) return fail(session::Errc::kInvalid, "unsupported namespace " + key);
        continue;
      }
      auto& out = granted[key];
      const std::vector<std::string> chains = ns.chains.empty() ? std::vector<std::string>{key + ":1"} : ns.chains;
      for (const auto& chain : chains) {
        if (std::find(out.chains.begin(), out.chains.end(), chain) != out.chains.end()) continue;
        out.chains.push_back(chain);
        out.accounts.push_back(chain + ":" + address.to_string());
      }
      for (const auto& method : ns.methods) {
        if (std::find(out.methods.begin(), out.methods.end(), method) == out.methods.end())
          out.methods.push_back(method);
      }
      for (const auto& event : ns.events) {
        if (std::find(out.events.begin(), out.events.end(), event) == out.events.end()) out.events.push_back(event);
      }
    }
  }
  return granted;
}

void run_pair(const GlobalOptions& global, const WalletOptions& options) {
  Command command(global, wallet_metadata());
  const auto account =
      check(identity::EthAccount::load_or_create(command.home().db(), command.home().vault(), command.rng()));
  check(command.node().step([&](session::Engine& engine) { return engine.pair(options.uri); }));
  say("Paired; waiting for the app's session proposal...");
  command.on_event = [&](const session::Action& action) {
    if (const auto* received = std::get_if<session::ProposalReceived>(&action)) {
      const auto& proposal = received->proposal;
      show(proposal);
      auto namespaces = grant(proposal, account.address());
      const bool approved =
          namespaces && (options.yes || ask_yes("Approve the session with " + account.address().to_string() + "?"));
      if (!approved) {
        const wire::RpcError reason =
            namespaces ? wire::RpcError{session::codes::kUserRejected, "User rejected.", {}}
                       : wire::RpcError{session::codes::kUnsupportedNamespaceKey, namespaces.error().message, {}};
        check(command.node().step([&](session::Engine& engine) { return engine.reject(proposal.id, reason); }));
        say("Rejected: " + reason.message);
        return command.finish(1);
      }
      check(command.node().step(
          [&](session::Engine& engine) { return engine.approve(proposal.id, std::move(*namespaces)); }));
      say("Approved; waiting for the app to acknowledge the session...");
    } else if (const auto* settled = std::get_if<session::SessionSettled>(&action)) {
      say("Session with " + settled->session.peer.name +
          " is live. Run `keylink wallet serve` to answer its requests.");
      std::cout << "session " << settled->session.topic << std::endl;
      command.finish(0);
    }
  };
  exit_with(command.run(std::chrono::seconds(options.timeout),
                        "no session proposal or acknowledgement within " + std::to_string(options.timeout) + " s"));
}

// personal_sign params are [message, address]; the message is 0x-hex of its bytes, or plain text.
Bytes message_bytes(const wire::Json& param) {
  const std::string text = param.is_string() ? param.get<std::string>() : "";
  if (text.starts_with("0x")) {
    if (auto bytes = from_hex(text.substr(2))) return std::move(*bytes);
  }
  return Bytes(text.begin(), text.end());
}

// The answer to one request: a signature, or the error the app gets.
tl::expected<wire::Json, wire::RpcError> answer(const session::RequestReceived& request,
                                                const identity::EthAccount& account, bool yes) {
  using Refusal = tl::unexpected<wire::RpcError>;
  if (request.method != "personal_sign") {
    return Refusal({session::codes::kUnsupportedMethods, request.method + " is not supported by this wallet yet", {}});
  }
  if (!request.params.is_array() || request.params.size() < 2 || !request.params[1].is_string()) {
    return Refusal({wire::kRpcInvalidParams, "personal_sign takes [message, address]", {}});
  }
  auto address = crypto::EthAddress::parse(request.params[1].get<std::string>());
  if (!address || !(*address == account.address())) {
    return Refusal({session::codes::kUnsupportedAccounts, "this wallet does not hold that account", {}});
  }
  const Bytes message = message_bytes(request.params[0]);
  say("Sign for the app: \"" + std::string(message.begin(), message.end()) + "\"");
  if (!yes && !ask_yes("Sign it?")) return Refusal({session::codes::kUserRejected, "User rejected.", {}});
  auto signature = account.personal_sign(message);
  if (!signature) return Refusal({session::codes::kUserRejected, signature.error().message, {}});
  return wire::Json("0x" + to_hex(*signature));
}

void run_serve(const GlobalOptions& global, const WalletOptions& options) {
  Command command(global, wallet_metadata());
  const auto account =
      check(identity::EthAccount::load_or_create(command.home().db(), command.home().vault(), command.rng()));
  say("Serving sessions for " + account.address().to_string() + " (Ctrl-C stops)");
  command.on_event = [&](const session::Action& action) {
    if (const auto* request = std::get_if<session::RequestReceived>(&action)) {
      auto result = answer(*request, account, options.yes);
      std::cout << "request " << request->topic << ' ' << request->id << ' ' << request->method;
      if (result) {
        check(command.node().step(
            [&](session::Engine& engine) { return engine.respond(request->topic, request->id, *result); }));
        std::cout << " ok" << std::endl;
      } else {
        check(command.node().step([&](session::Engine& engine) {
          return engine.respond_error(request->topic, request->id, result.error());
        }));
        std::cout << " error " << result.error().code << std::endl;
        say("Refused: " + result.error().message);
      }
    } else if (const auto* deleted = std::get_if<session::SessionDeleted>(&action)) {
      say("Session " + deleted->topic + " ended: " + deleted->reason.message);
      std::cout << "deleted " << deleted->topic << std::endl;
    } else if (const auto* settled = std::get_if<session::SessionSettled>(&action)) {
      say("Session with " + settled->session.peer.name + " is live");
    }
  };
  exit_with(command.run(std::nullopt, {}));
}

}  // namespace

void add_wallet_commands(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<WalletOptions>();
  auto* wallet = app.add_subcommand("wallet", "Act as a wallet: approve app sessions and answer their requests");
  wallet->require_subcommand(1);

  auto* pair = wallet->add_subcommand("pair", "Pair with an app's wc: URI, show its proposal and approve it");
  pair->add_option("URI", options->uri, "The wc: URI, quoted")->required();
  pair->add_flag("--yes,-y", options->yes, "Approve without asking (for scripts)");
  pair->add_option("--timeout", options->timeout, "Seconds to wait for the proposal")->capture_default_str();
  pair->callback([&global, options] { run_pair(global, *options); });

  auto* serve = wallet->add_subcommand("serve", "Answer the requests of approved sessions until stopped");
  serve->add_flag("--yes,-y", options->yes, "Sign without asking (for scripts)");
  serve->callback([&global, options] { run_serve(global, *options); });
}

}  // namespace keylink::cli
