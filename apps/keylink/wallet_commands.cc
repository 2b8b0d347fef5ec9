#include "wallet_commands.h"

#include <algorithm>
#include <iostream>

#include "keylink/base/encoding.h"
#include "keylink/identity/errors.h"
#include "keylink/identity/eth_account.h"
#include "keylink/identity/keystore_errors.h"
#include "keylink/keystore/grant_policy.h"
#include "keylink/runtime/wallet_keystore.h"

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
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + escape_for_terminal(item);
  return out.empty() ? "-" : out;
}

// The proposal as the user sees it before approving, one line per field.
std::string describe(const session::Proposal& proposal) {
  std::string out = "Session proposal from " + escape_for_terminal(proposal.proposer.name) + "\n";
  out += "  url:    " + escape_for_terminal(proposal.proposer.url) +
         "  (verify: " + escape_for_terminal(proposal.verify_status) + ")\n";
  out += "  about:  " + escape_for_terminal(proposal.proposer.description);
  for (const auto* group : {&proposal.required, &proposal.optional}) {
    for (const auto& [key, ns] : *group) {
      out += "\n  " + escape_for_terminal(key) + (group == &proposal.required ? " (required)" : " (optional)") +
             ": chains " + joined(ns.chains) + "; methods " + joined(ns.methods);
    }
  }
  return out;
}

// The wallet's messaging keys, when its home holds them: the xmtp namespace is granted and answered
// only then.
std::unique_ptr<runtime::WalletKeystore> messaging_keys(Command& command) {
  auto keys = runtime::WalletKeystore::open(command.home(), command.rng(), command.clock());
  if (!keys && keys.error().code == identity::KeystoreErrc::kNoIdentity) return nullptr;
  auto opened = check(std::move(keys));
  opened->gate().on_pause = [](const keystore::Approval& approval) {
    say("Paused app " + approval.id + " (" + escape_for_terminal(approval.app_name) + ") until " +
        keystore::iso_time(*approval.paused_until) + ": over its rate limit. `keylink apps renew " + approval.id +
        "` lifts the pause.");
  };
  return opened;
}

// What the user approves beside the proposal when it asks for the messaging keys: the app key, the
// scopes, the 30 days, and any approved app that claims the same url with another key.
Result<std::string> describe_keystore_grant(runtime::WalletKeystore& keys, const session::Proposal& proposal,
                                            const session::SessionNamespaces& granted) {
  const auto xmtp = granted.find(std::string(keystore::kNamespace));
  if (xmtp == granted.end()) return std::string();
  auto app_key = keystore::app_key_of(proposal);
  if (!app_key) return tl::unexpected(app_key.error());
  std::string out = "\n  messaging keys of " + keys.address() + " stay in this wallet; the app may ask it to";
  for (const auto scope : keystore::scopes_asked(xmtp->second.methods))
    out += " " + std::string(keystore::scope_name(scope));
  out += ", for 30 days (app key " + to_hex(ByteView(*app_key).first(8)) + "...)";
  for (const auto& other : check(keys.gate().approvals().lookalikes(proposal.proposer.url, *app_key))) {
    out += "\n  WARNING: approved app " + other.id + " (" + escape_for_terminal(other.app_name) +
           ") claims the same url with another key: this is a different app";
  }
  return out;
}

void run_pair(const GlobalOptions& global, const WalletOptions& options) {
  const std::string uri = argument_or_stdin(options.uri);
  Command command(global, wallet_metadata());
  const auto account =
      check(identity::EthAccount::load_or_create(command.home().db(), command.home().vault(), command.rng()));
  const auto keys = messaging_keys(command);
  check(command.node().step([&](session::Engine& engine) { return engine.pair(uri); }));
  say("Paired; waiting for the app's session proposal...");
  command.on_event = [&](const session::Action& action) {
    if (const auto* received = std::get_if<session::ProposalReceived>(&action)) {
      const auto& proposal = received->proposal;
      auto namespaces =
          keystore::grant_namespaces(proposal, account.address(), keys ? std::optional(keys->address()) : std::nullopt);
      Result<std::string> keystore_grant = std::string();
      if (namespaces && keys) keystore_grant = describe_keystore_grant(*keys, proposal, *namespaces);
      if (namespaces && !keystore_grant) namespaces = tl::unexpected(keystore_grant.error());
      const std::string shown = describe(proposal) + keystore_grant.value_or("");
      if (!namespaces || options.yes) say(shown);
      const bool approved =
          namespaces &&
          (options.yes || ask_yes(shown + "\nApprove the session with " + account.address().to_string() + "?"));
      if (!approved) {
        const wire::RpcError reason =
            namespaces ? wire::RpcError{session::codes::kUserRejected, "User rejected.", {}}
                       : wire::RpcError{session::codes::kUnsupportedNamespaceKey, namespaces.error().message, {}};
        check(command.node().step([&](session::Engine& engine) { return engine.reject(proposal.id, reason); }));
        say("Rejected: " + escape_for_terminal(reason.message));
        return command.finish(1);
      }
      const auto topic =
          check(command.node().step([&](session::Engine& engine) { return engine.approve(proposal.id, *namespaces); }));
      if (keys) {
        if (const auto approval = check(keys->approve_session(proposal, *namespaces, topic))) {
          say("Approved app " + approval->id + " until " + keystore::iso_time(approval->expires_at) +
              " (`keylink apps` lists it, `keylink apps revoke " + approval->id + "` ends it).");
        }
      }
      say("Approved; waiting for the app to acknowledge the session...");
    } else if (const auto* settled = std::get_if<session::SessionSettled>(&action)) {
      say("Session with " + escape_for_terminal(settled->session.peer.name) +
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

// Everything the user decides on, in one piece: who asks (the app's name and url, the session and the
// request), with which account, and the message. The message shows as its lines, each behind a margin,
// when it is printable text; otherwise (a control character, a bidi override, bytes that are not UTF-8)
// as hex, so that what the user reads is what gets signed.
std::string signing_prompt(const session::RequestReceived& request, const session::Metadata& peer,
                           const crypto::EthAddress& address, ByteView message) {
  std::string out = "personal_sign request " + std::to_string(request.id) + " from " + escape_for_terminal(peer.name) +
                    " (" + escape_for_terminal(peer.url) + ")\n";
  out += "  session: " + escape_for_terminal(request.topic) + "\n";
  out += "  account: " + address.to_string() + " on " + escape_for_terminal(request.chain_id) + "\n";
  const std::string_view text = as_chars(message);
  const std::size_t size = message.size();
  if (is_printable_text(text, /*allow_newlines=*/true)) {
    out += "  message, " + std::to_string(size) + " bytes of text:";
    for (std::size_t start = 0; start <= text.size();) {
      const std::size_t end = std::min(text.find('\n', start), text.size());
      out += "\n    | " + std::string(text.substr(start, end - start));
      start = end + 1;
    }
  } else {
    out += "  message, " + std::to_string(size) + " bytes that are not printable text, in hex:";
    for (std::size_t start = 0; start < size; start += 32) {
      out += "\n    | " + to_hex(message.subspan(start, std::min<std::size_t>(32, size - start)));
    }
  }
  return out;
}

// The answer to one request: a signature, or the error the app gets.
tl::expected<wire::Json, wire::RpcError> answer(const session::RequestReceived& request, const session::Metadata& peer,
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
  const std::string prompt = signing_prompt(request, peer, account.address(), message);
  if (yes) {
    say(prompt + "\nSigning without asking (--yes).");
  } else if (!ask_yes(prompt + "\nSign it?")) {
    return Refusal({session::codes::kUserRejected, "User rejected.", {}});
  }
  auto signature = account.personal_sign(message);
  if (!signature) {
    // A reserved text (an XMTP identity's key signature) is never signed for an app: keystore policy.
    const bool reserved = signature.error().code == identity::Errc::kReservedMessage;
    return Refusal(
        {reserved ? keystore::codes::kRefusedByPolicy : session::codes::kUserRejected, signature.error().message, {}});
  }
  return wire::Json("0x" + to_hex(*signature));
}

// The app of a session, as its settlement named it.
session::Metadata peer_of(const session::Engine& engine, const std::string& topic) {
  for (const auto& s : engine.sessions()) {
    if (s.topic == topic) return s.peer;
  }
  return {.name = "an app whose session ended", .description = {}, .url = "-", .icons = {}};
}

// An answer that came too late: the request expired, or went with its session.
bool outlived(const Error& error) {
  return error.code == session::Errc::kExpired || error.code == session::Errc::kNotFound;
}

// Keeps the sessions of approved apps extended, and ends those whose approval was revoked or expired
// (keystore::session_upkeep), now and every minute.
void keep_sessions(Command& command, runtime::WalletKeystore& keys, boost::asio::steady_timer& timer) {
  const auto upkeep = check(keys.upkeep(command.node().engine().sessions()));
  for (const auto& topic : upkeep.extend) {
    check(command.node().step([&](session::Engine& engine) { return engine.extend(topic); }));
  }
  for (const auto& topic : upkeep.end) {
    say("Ending session " + escape_for_terminal(topic) + ": its app's approval was revoked or expired");
    check(command.node().step([&](session::Engine& engine) { return engine.disconnect(topic); }));
  }
  timer.expires_after(std::chrono::minutes(1));
  timer.async_wait([&command, &keys, &timer](boost::system::error_code error) {
    if (!error) keep_sessions(command, keys, timer);
  });
}

void run_serve(const GlobalOptions& global, const WalletOptions& options) {
  Command command(global, wallet_metadata());
  const auto account =
      check(identity::EthAccount::load_or_create(command.home().db(), command.home().vault(), command.rng()));
  const auto keys = messaging_keys(command);
  say("Serving sessions for " + account.address().to_string() +
      (keys ? " and the messaging keys of " + keys->address() : std::string()) + " (Ctrl-C stops)");
  boost::asio::steady_timer upkeep_timer(command.io());
  if (keys) keep_sessions(command, *keys, upkeep_timer);
  command.on_event = [&](const session::Action& action) {
    if (const auto* request = std::get_if<session::RequestReceived>(&action)) {
      // The keystore's requests are answered by its policy, without asking: the user approved the app.
      // Its answer commits in the step that queues it (one transaction for the use, the audit entry and
      // the message); a question to the user is asked before, outside any transaction.
      const bool keystore_request = request->method.starts_with(keystore::kMethodPrefix);
      std::optional<tl::expected<wire::Json, wire::RpcError>> result;
      if (!keystore_request)
        result = answer(*request, peer_of(command.node().engine(), request->topic), account, options.yes);
      auto responded = command.node().step([&](session::Engine& engine) {
        if (!result) {
          result = keys ? keys->answer(request->topic, request->method, request->params)
                        : tl::unexpected(
                              wire::RpcError{keystore::codes::kNotGranted, "this wallet holds no messaging keys", {}});
        }
        return *result ? engine.respond(request->topic, request->id, **result)
                       : engine.respond_error(request->topic, request->id, result->error());
      });
      std::cout << "request " << escape_for_terminal(request->topic) << ' ' << request->id << ' '
                << escape_for_terminal(request->method);
      if (!responded && outlived(responded.error())) {
        // It expired (the engine told the app so) or its session ended while the user was deciding:
        // the other sessions and requests go on.
        std::cout << " expired" << std::endl;
        say("Request " + std::to_string(request->id) +
            " was not answered in time: " + escape_for_terminal(responded.error().message));
        return;
      }
      check(std::move(responded));
      if (*result) {
        std::cout << " ok" << std::endl;
      } else {
        std::cout << " error " << result->error().code << std::endl;
        say("Refused: " + escape_for_terminal(result->error().message));
      }
    } else if (const auto* deleted = std::get_if<session::SessionDeleted>(&action)) {
      say("Session " + escape_for_terminal(deleted->topic) + " ended: " + escape_for_terminal(deleted->reason.message));
      std::cout << "deleted " << escape_for_terminal(deleted->topic) << std::endl;
    } else if (const auto* settled = std::get_if<session::SessionSettled>(&action)) {
      say("Session with " + escape_for_terminal(settled->session.peer.name) + " is live");
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
  pair->add_option("URI", options->uri,
                   "The wc: URI, quoted; - reads it from stdin (argv is seen by other local users)")
      ->required();
  pair->add_flag("--yes,-y", options->yes, "Approve without asking (for scripts)");
  pair->add_option("--timeout", options->timeout, "Seconds to wait for the proposal")->capture_default_str();
  pair->callback([&global, options] { run_pair(global, *options); });

  auto* serve = wallet->add_subcommand("serve", "Answer the requests of approved sessions until stopped");
  serve->add_flag("--yes,-y", options->yes, "Sign without asking (for scripts)");
  serve->callback([&global, options] { run_serve(global, *options); });
}

}  // namespace keylink::cli
