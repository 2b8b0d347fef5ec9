// What every command that talks to peers shares: the global options, the home (opened with the
// passphrase), and a session node on an event loop that runs until the command is done.
#pragma once

#include <utility>  // before Boost.Asio (Boost 1.74, g++ 12, C++20)

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "keylink/base/clock.h"
#include "keylink/base/rng.h"
#include "keylink/base/terminal_text.h"
#include "keylink/runtime/device_sync.h"
#include "keylink/runtime/home.h"
#include "keylink/runtime/keystore_remote.h"
#include "keylink/runtime/session_node.h"
#include "keylink/runtime/xmtp_node.h"

namespace keylink::cli {

struct GlobalOptions {
  std::string home;      // --home, KEYLINK_HOME, ~/.keylink
  std::string relay;     // --relay, KEYLINK_RELAY, ws://127.0.0.1:8787
  std::string relay_ca;  // --relay-ca, KEYLINK_RELAY_CA; empty: the system's trust store
};

// Adds --home, --relay and --relay-ca to `app` (they are inherited by its subcommands).
void add_global_options(CLI::App& app, GlobalOptions& options);

// Prints "keylink: <message>" to stderr and ends the command with exit code 1 (by CLI11's exception,
// which unwinds the command, closing the relay connection and the home). The message is escaped as one
// line (escape_for_terminal): what it quotes from a peer cannot act on the terminal.
[[noreturn]] void die(const std::string& message);
// Ends the command with `code`; returns for 0.
void exit_with(int code);
template <class T>
T check(Result<T> result) {
  if (!result) die(result.error().message);
  if constexpr (!std::is_void_v<T>) return std::move(*result);
}

// `argument`, or all of stdin when it is "-" (less one final newline): text that other local users must
// not read in argv (a wc: URI, a message).
std::string argument_or_stdin(const std::string& argument);
// Says `prompt`, then reads one line of stdin, with echo off when stdin is a terminal (a recovery
// phrase); nullopt at its end.
std::optional<std::string> read_secret_line(const std::string& prompt);

// Narration for a person: stderr, so that stdout carries only what scripts read. Each line is escaped
// (escape_for_terminal); text from a peer is escaped by the caller too, so that it cannot start a line.
void say(const std::string& lines);
// Shows `prompt` (which may span lines) and asks a yes/no question on the terminal, both there, so that
// what the user answers is what they saw even when stderr goes elsewhere. Each line is escaped.
// Without a terminal to ask, it shows the prompt on stderr, says that nobody could answer, and is false.
bool ask_yes(const std::string& prompt);

// A time for a person: "2026-12-07 13:45:00 CET", in the local time zone.
std::string local_time(TimePoint time);
std::string local_time(std::int64_t unix_seconds);

// This machine as a device: its host name and its system ("linux"), shown to the other devices.
std::string device_name();
std::string device_platform();

// How this CLI names itself to a wallet when it is an app of the account (keylink keystore connect).
session::Metadata app_metadata();

class Command {
 public:
  // Opens the home (asking for the passphrase when KEYLINK_PASSPHRASE is unset) and, for the session
  // commands, the session node; chat commands call open_chat() instead. Dies with a message on failure.
  explicit Command(const GlobalOptions& options);
  Command(const GlobalOptions& options, session::Metadata self);
  // The same with the session node over the keystore link (runtime::keystore_link): the session with
  // a wallet that a keystore transport uses later.
  struct OverKeystoreLink {};
  Command(const GlobalOptions& options, session::Metadata self, OverKeystoreLink);
  // Opens the XMTP node (making the home's messaging identity on first use). Incoming messages while
  // watching go to on_message.
  void open_chat(
      std::function<void(const messaging::DecodedMessage&, const identity::ConversationReference&)> on_message = {});

  // The devices of the account: open_chat() opens them (making this home the account's first device
  // when it is none yet) and syncs them once, in the background; when_devices_synced() runs `then` once
  // that sync has ended (at once if it has). A home whose keys are in a wallet (keylink keystore
  // connect) is an app of the account, not one of its devices: devices() dies saying so, and
  // account_state() is empty and change_account() does nothing there.
  runtime::DeviceSync& devices();
  void when_devices_synced(std::function<void()> then);
  const sync::SyncState& account_state() const;
  void change_account(sync::Change change);

  // App events of the session engine, after their commit.
  std::function<void(const session::Action&)> on_event;

  // Starts the relay connection(s) and runs the loop until finish() or SIGINT/SIGTERM (exit 0), or the
  // timeout (dies with `timeout_message`). Returns the exit code.
  int run(std::optional<std::chrono::seconds> timeout, std::string timeout_message);
  // Ends run() with `code` once every queued message reached the relay (bounded by a grace period).
  void finish(int code);

  runtime::SessionNode& node() { return *node_; }
  runtime::XmtpNode& chat() { return *chat_; }
  runtime::Home& home() { return *home_; }
  // The home the session node runs over: home(), or the keystore link.
  runtime::Home& session_home() { return link_ ? *link_ : *home_; }
  boost::asio::io_context& io() { return io_; }
  Rng& rng() { return rng_; }
  const Clock& clock() const { return clock_; }

 private:
  void stop();
  void open_session_node(session::Metadata self);
  void restore_identity();

  relay::ClientOptions relay_options_;
  boost::asio::io_context io_{1};
  SystemRng rng_;
  SystemClock clock_;
  std::optional<runtime::Home> home_;
  std::optional<runtime::Home> link_;
  std::unique_ptr<runtime::SessionNode> node_;
  std::unique_ptr<runtime::XmtpNode> chat_;
  std::unique_ptr<runtime::DeviceSync> devices_;
  bool devices_synced_ = false;
  std::vector<std::function<void()>> devices_waiters_;
  boost::asio::steady_timer deadline_{io_};
  std::optional<int> exit_code_;
};

}  // namespace keylink::cli
