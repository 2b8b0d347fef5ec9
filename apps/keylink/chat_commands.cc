#include "chat_commands.h"

#include <algorithm>
#include <ctime>
#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include "keylink/base/encoding.h"
#include "keylink/sync/change.h"
#include "keylink/wire/xmtp/content_compression.h"
#include "keylink/wire/xmtp/content_types.h"

namespace keylink::cli {
namespace {

namespace wx = wire::xmtp;
using nlohmann::json;

struct ChatOptions {
  std::string address;
  std::string text;
  bool json = false;
  int timeout = 60;
  int watch_timeout = 0;  // chat watch runs until Ctrl-C by default
  std::optional<std::size_t> count;
  std::optional<std::size_t> limit;
  bool all = false;  // also conversations with denied peers
  bool undo = false;
};

runtime::XmtpNode::Shown shown(const ChatOptions& options) {
  return options.all ? runtime::XmtpNode::Shown::kAll : runtime::XmtpNode::Shown::kNotDenied;
}

crypto::EthAddress parse_address(const std::string& text) {
  auto address = crypto::EthAddress::parse(text);
  if (!address) die("'" + text + "': " + address.error().message);
  return *address;
}

std::string rfc3339(std::uint64_t ns) {
  const auto seconds = static_cast<std::time_t>(ns / 1'000'000'000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

// What a person reads for a content of any type (its fallback for types we do not know), with the
// structured fields of the types we do.
json describe(ByteView content_bytes) {
  auto content = wx::decode_encoded_content(content_bytes);
  if (content) content = wx::decompress(std::move(*content), wx::kMaxContentSize);
  if (!content)
    return {{"content_type", "?"}, {"text", "[content that does not decode: " + content.error().message + "]"}};
  json out = {{"content_type", wx::to_string(content->type)}};
  if (auto text = wx::decode_text(*content)) {
    out["text"] = *text;
  } else if (auto reaction = wx::decode_reaction(*content)) {
    const bool added = reaction->action == wx::ReactionAction::kAdded;
    out["reaction"] = {
        {"reference", reaction->reference}, {"action", added ? "added" : "removed"}, {"content", reaction->content}};
    out["text"] = std::string(added ? "reacted " : "removed the reaction ") + reaction->content + " to " +
                  reaction->reference.substr(0, 12);
  } else if (auto reply = wx::decode_reply(*content)) {
    auto inner = wx::decode_text(reply->content);
    out["reply"] = {{"reference", reply->reference}, {"content_type", wx::to_string(reply->content.type)}};
    out["text"] = "reply to " + reply->reference.substr(0, 12) + ": " +
                  (inner ? *inner : reply->content.fallback.value_or("[" + wx::to_string(reply->content.type) + "]"));
  } else {
    out["text"] = content->fallback.value_or("[" + wx::to_string(content->type) + "]");
  }
  return out;
}

// A message (DecodedMessage or StoredMessage) as the contract prints it.
template <class Message>
json message_json(const Message& message, const std::string& peer) {
  json out = {{"id", message.id},
              {"topic", message.topic},
              {"peer", peer},
              {"sender", message.sender_address},
              {"sent_ns", message.sent_ns},
              {"sent_at", rfc3339(message.sent_ns)}};
  out.update(describe(message.content));
  return out;
}

void print_message(const json& message, bool as_json) {
  if (as_json) {
    std::cout << message.dump() << std::endl;
  } else {
    std::cout << message["sent_at"].get<std::string>() << " "
              << escape_for_terminal(message["sender"].get<std::string>()) << ": "
              << escape_for_terminal(message["text"].get<std::string>()) << std::endl;
  }
}

void run_send(const GlobalOptions& global, const ChatOptions& options) {
  const auto peer = parse_address(options.address);
  const std::string text = argument_or_stdin(options.text);
  Command command(global);
  command.open_chat();
  command.chat().send(peer, wx::encode_text(text), [&](Result<messaging::Messenger::Sent> sent) {
    if (!sent) die("cannot send to " + peer.to_string() + ": " + sent.error().message);
    if (options.json) {
      std::cout << json{{"id", sent->message.id},
                        {"topic", sent->message.topic},
                        {"peer", peer.to_string()},
                        {"sent_ns", sent->message.sent_ns}}
                       .dump()
                << std::endl;
    } else {
      std::cout << sent->message.id << std::endl;
    }
    say("Sent to " + peer.to_string() + "; waiting for the relay to acknowledge it...");
    command.finish(0);
  });
  exit_with(command.run(std::chrono::seconds(options.timeout),
                        "the relay did not take the message within " + std::to_string(options.timeout) +
                            " s; it stays queued in the home and goes at the next keylink chat command"));
}

void run_list(const GlobalOptions& global, const ChatOptions& options) {
  Command command(global);
  command.open_chat();
  command.when_devices_synced([&] { command.chat().sync(std::nullopt, [&](Result<messaging::Received> received) {
    if (!received) die(received.error().message);
    auto conversations = check(command.chat().conversations(std::nullopt, shown(options)));
    std::vector<std::pair<std::uint64_t, json>> rows;
    for (const auto& conversation : conversations) {
      auto last = check(command.chat().messages().last_message(conversation.topic));
      const auto state = command.account_state().conversation(conversation.topic);
      json row = {{"peer", conversation.peer_address},
                  {"topic", conversation.topic},
                  {"created_ns", conversation.created_ns},
                  {"conversation_id", conversation.conversation_id},
                  {"messages", check(command.chat().messages().count(conversation.topic))},
                  {"last", last ? message_json(*last, conversation.peer_address) : json(nullptr)},
                  {"archived", state.archived},
                  {"muted", state.muted},
                  {"read_up_to_ns", state.read_up_to_ns}};
      rows.emplace_back(last ? last->sent_ns : conversation.created_ns, std::move(row));
    }
    std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    if (options.json) {
      json out = json::array();
      for (auto& [when, row] : rows) out.push_back(std::move(row));
      std::cout << out.dump() << std::endl;
    } else {
      if (rows.empty()) say("No conversations yet: `keylink chat send ADDRESS TEXT` starts one.");
      for (const auto& [when, row] : rows) {
        std::cout << escape_for_terminal(row["peer"].get<std::string>()) << "  "
                  << escape_for_terminal(row["topic"].get<std::string>()) << "  " << row["messages"].get<std::int64_t>()
                  << " messages" << (row["archived"].get<bool>() ? "  (archived)" : "")
                  << (row["muted"].get<bool>() ? "  (muted)" : "");
        if (!row["last"].is_null())
          std::cout << "  last: " << escape_for_terminal(row["last"]["text"].get<std::string>());
        std::cout << std::endl;
      }
    }
    command.finish(0);
  }); });
  exit_with(command.run(std::chrono::seconds(options.timeout),
                        "the relay did not answer within " + std::to_string(options.timeout) + " s"));
}

void run_read(const GlobalOptions& global, const ChatOptions& options) {
  const auto peer = parse_address(options.address);
  Command command(global);
  command.open_chat();
  command.chat().sync(peer, [&](Result<messaging::Received> received) {
    if (!received) die(received.error().message);
    std::vector<messaging::StoredMessage> all;
    for (const auto& conversation : check(command.chat().conversations(peer, shown(options)))) {
      auto messages = check(command.chat().messages().messages(conversation.topic));
      all.insert(all.end(), std::make_move_iterator(messages.begin()), std::make_move_iterator(messages.end()));
    }
    std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.sent_ns < b.sent_ns; });
    const std::size_t skip = options.limit && all.size() > *options.limit ? all.size() - *options.limit : 0;
    if (all.empty()) say("No messages with " + peer.to_string() + " yet.");
    if (options.json) {
      json out = json::array();
      for (auto it = all.begin() + static_cast<std::ptrdiff_t>(skip); it != all.end(); ++it) {
        out.push_back(message_json(*it, peer.to_string()));
      }
      std::cout << out.dump() << std::endl;
    } else {
      for (auto it = all.begin() + static_cast<std::ptrdiff_t>(skip); it != all.end(); ++it) {
        print_message(message_json(*it, peer.to_string()), false);
      }
    }
    // Read up to here, on every device of the account.
    std::map<std::string, std::uint64_t> newest;
    for (const auto& message : all) newest[message.topic] = std::max(newest[message.topic], message.sent_ns);
    command.when_devices_synced([&command, newest] {
      for (const auto& [topic, sent_ns] : newest) {
        if (sent_ns > command.account_state().conversation(topic).read_up_to_ns) {
          command.change_account(sync::changes::read_up_to(topic, sent_ns));
        }
      }
      command.finish(0);
    });
  });
  exit_with(command.run(std::chrono::seconds(options.timeout),
                        "the relay did not answer within " + std::to_string(options.timeout) + " s"));
}

void run_watch(const GlobalOptions& global, const ChatOptions& options) {
  Command command(global);
  std::size_t seen = 0;
  command.open_chat([&](const messaging::DecodedMessage& message, const identity::ConversationReference& conversation) {
    if (message.sender_address == command.chat().address()) return;  // sent from another device of mine
    print_message(message_json(message, conversation.peer_address), options.json);
    if (options.count && ++seen == *options.count) command.finish(0);
  });
  say("Watching for messages to " + command.chat().address() + " (Ctrl-C to stop)...");
  command.chat().watch(shown(options));
  boost::asio::steady_timer stop_after(command.io());
  if (options.watch_timeout > 0) {
    stop_after.expires_after(std::chrono::seconds(options.watch_timeout));
    stop_after.async_wait([&](boost::system::error_code error) {
      if (!error) command.finish(0);
    });
  }
  exit_with(command.run(std::nullopt, ""));
}

void run_contacts(const GlobalOptions& global, const ChatOptions& options) {
  Command command(global);
  command.open_chat();
  command.when_devices_synced([&] { command.chat().sync_consent([&](Result<void> synced) {
    if (!synced)
      say("consent records: " + escape_for_terminal(synced.error().message) + "; showing what this home knows");
    std::map<std::string, std::int64_t> peers;
    const auto all = runtime::XmtpNode::Shown::kAll;  // denied peers are listed too, with their consent
    for (const auto& conversation : check(command.chat().conversations(std::nullopt, all))) {
      ++peers[conversation.peer_address];
    }
    for (const auto& [address, published_ns] : check(command.chat().messages().contacts())) {
      if (address != command.chat().address()) peers.emplace(address, 0);
    }
    for (const auto& address : check(command.chat().messages().consent_addresses())) peers.emplace(address, 0);
    const auto& account = command.account_state();
    for (const auto& contact : account.contacts()) peers.emplace(contact.address, 0);
    json out = json::array();
    for (const auto& [address, conversations] : peers) {
      const auto consent = check(command.chat().messages().consent(address));
      const auto contact = account.contact(address);
      out.push_back({{"address", address},
                     {"name", contact && !contact->name.empty() ? json(contact->name) : json(nullptr)},
                     {"consent", messaging::to_string(consent)},
                     {"conversations", conversations}});
    }
    if (options.json) {
      std::cout << out.dump() << std::endl;
    } else {
      if (out.empty()) say("No contacts yet.");
      for (const auto& row : out) {
        const std::string name = row["name"].is_null() ? "" : " (" + escape_for_terminal(row["name"].get<std::string>()) + ")";
        std::cout << escape_for_terminal(row["address"].get<std::string>()) << name << "  "
                  << row["consent"].get<std::string>() << "  " << row["conversations"].get<std::int64_t>()
                  << " conversations" << std::endl;
      }
    }
    command.finish(0);
  }); });
  exit_with(command.run(std::chrono::seconds(options.timeout),
                        "the relay did not answer within " + std::to_string(options.timeout) + " s"));
}

void run_consent(const GlobalOptions& global, const ChatOptions& options, messaging::Consent consent) {
  const auto peer = parse_address(options.address);
  Command command(global);
  command.open_chat();
  check(command.chat().set_consent(peer, consent));
  // The account's other devices learn it from the device topic too (and xmtp-js from the preferences).
  const auto shared = consent == messaging::Consent::kDenied ? sync::Consent::kDenied : sync::Consent::kAllowed;
  command.change_account(sync::changes::consent(peer.to_string(), shared));
  say(peer.to_string() + ": " + std::string(messaging::to_string(consent)));
  command.finish(0);
  exit_with(command.run(std::chrono::seconds(options.timeout),
                        "the relay did not take the record within " + std::to_string(options.timeout) + " s"));
}

// `keylink chat archive|mute ADDRESS [--undo]`: the conversations' state, the same on every device.
void run_conversation_flag(const GlobalOptions& global, const ChatOptions& options, bool mute) {
  const auto peer = parse_address(options.address);
  Command command(global);
  command.open_chat();
  command.when_devices_synced([&] {
    const auto conversations = check(command.chat().conversations(peer, runtime::XmtpNode::Shown::kAll));
    if (conversations.empty()) die("no conversation with " + peer.to_string());
    for (const auto& conversation : conversations) {
      check(command.devices().change(mute ? sync::changes::muted(conversation.topic, !options.undo)
                                          : sync::changes::archived(conversation.topic, !options.undo)));
    }
    say("The conversation with " + peer.to_string() + (options.undo ? " is no longer " : " is now ") +
        (mute ? "muted" : "archived") + " on every device of this account.");
    command.finish(0);
  });
  exit_with(command.run(std::chrono::seconds(options.timeout), "the relay did not answer in time"));
}

// `keylink contacts name ADDRESS NAME`: a local name for a contact, the same on every device.
void run_name(const GlobalOptions& global, const ChatOptions& options) {
  const auto peer = parse_address(options.address);
  Command command(global);
  command.open_chat();
  command.when_devices_synced([&] {
    check(command.devices().change(sync::changes::contact_added(peer.to_string())));
    check(command.devices().change(sync::changes::contact_name(peer.to_string(), options.text)));
    say(peer.to_string() + " is now named " + escape_for_terminal(options.text) + " on every device of this account.");
    command.finish(0);
  });
  exit_with(command.run(std::chrono::seconds(options.timeout),
                        "the relay did not take the name within " + std::to_string(options.timeout) + " s"));
}

}  // namespace

void add_chat_commands(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<ChatOptions>();
  auto* chat = app.add_subcommand("chat", "XMTP v2 messages through the relay (any XMTP v2 client can be the peer)");
  chat->require_subcommand(1);

  auto* send = chat->add_subcommand("send", "Send a text message, starting the conversation when there is none");
  send->add_option("ADDRESS", options->address, "The peer's Ethereum address")->required();
  send->add_option("TEXT", options->text, "The message; - reads it from stdin (argv is seen by other local users)")
      ->required();
  send->add_flag("--json", options->json, "Print {id, topic, peer, sent_ns} as JSON");
  send->add_option("--timeout", options->timeout, "Seconds to wait for the relay")->capture_default_str();
  send->callback([&global, options] { run_send(global, *options); });

  auto* list = chat->add_subcommand("list", "List conversations, newest activity first (fetches new invitations)");
  list->add_flag("--json", options->json, "Print as JSON");
  list->add_flag("--all", options->all, "Also conversations with peers you denied");
  list->add_option("--timeout", options->timeout, "Seconds to wait for the relay")->capture_default_str();
  list->callback([&global, options] { run_list(global, *options); });

  auto* read = chat->add_subcommand("read", "Show the messages with a peer, oldest first (fetches new ones)");
  read->add_option("ADDRESS", options->address, "The peer's Ethereum address")->required();
  read->add_flag("--json", options->json, "Print one JSON array of messages");
  read->add_flag("--all", options->all, "Also when you denied the peer");
  read->add_option("--limit", options->limit, "Only the newest N messages");
  read->add_option("--timeout", options->timeout, "Seconds to wait for the relay")->capture_default_str();
  read->callback([&global, options] { run_read(global, *options); });

  for (const bool mute : {false, true}) {
    auto* flag = chat->add_subcommand(mute ? "mute" : "archive",
                                      mute ? "Mute the conversation with a peer, on every device of this account"
                                           : "Archive the conversation with a peer, on every device of this account");
    flag->add_option("ADDRESS", options->address, "The peer's Ethereum address")->required();
    flag->add_flag("--undo", options->undo, mute ? "Unmute it" : "Unarchive it");
    flag->add_option("--timeout", options->timeout, "Seconds to wait for the relay")->capture_default_str();
    flag->callback([&global, options, mute] { run_conversation_flag(global, *options, mute); });
  }

  auto* watch = chat->add_subcommand("watch", "Print incoming messages as they arrive, one per line");
  watch->add_flag("--json", options->json, "One JSON object per line");
  watch->add_flag("--all", options->all, "Also messages from peers you denied");
  watch->add_option("--count", options->count, "Stop after N messages");
  watch->add_option("--timeout", options->watch_timeout, "Stop after this many seconds (0: run until Ctrl-C)")
      ->capture_default_str();
  watch->callback([&global, options] { run_watch(global, *options); });

  auto* contacts = app.add_subcommand(
      "contacts", "The peers of your conversations, and everyone you allowed or denied, with their consent state");
  contacts->add_flag("--json", options->json, "Print as JSON");
  contacts->add_option("--timeout", options->timeout, "Seconds to wait for the relay")->capture_default_str();
  contacts->callback([&global, options, contacts] {
    if (contacts->get_subcommands().empty()) run_contacts(global, *options);
  });
  for (const auto consent : {messaging::Consent::kAllowed, messaging::Consent::kDenied}) {
    const bool allow = consent == messaging::Consent::kAllowed;
    auto* decide = contacts->add_subcommand(allow ? "allow" : "deny",
                                            allow ? "Accept messages from a peer (recorded for all your XMTP clients)"
                                                  : "Refuse messages from a peer (recorded for all your XMTP clients)");
    decide->add_option("ADDRESS", options->address, "The peer's Ethereum address")->required();
    decide->callback([&global, options, consent] { run_consent(global, *options, consent); });
  }
  auto* name = contacts->add_subcommand("name", "Give a contact a local name, shared with this account's devices");
  name->add_option("ADDRESS", options->address, "The contact's Ethereum address")->required();
  name->add_option("NAME", options->text, "The name (up to 1024 bytes)")->required();
  name->callback([&global, options] { run_name(global, *options); });
}

}  // namespace keylink::cli
