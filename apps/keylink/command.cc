#include "command.h"

#include <sys/utsname.h>
#include <termios.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>

#include "keylink/base/time_text.h"

namespace keylink::cli {
namespace {

constexpr std::chrono::seconds kSendGrace{10};
constexpr std::chrono::seconds kRelayWait{20};

std::string env_or(const char* name, std::string fallback) {
  const char* value = std::getenv(name);
  return value && *value ? value : std::move(fallback);
}

// Reads a line from the terminal with echo off.
std::optional<std::string> read_hidden(const std::string& prompt) {
  std::FILE* tty = std::fopen("/dev/tty", "r+");
  if (!tty) return std::nullopt;
  termios saved{};
  const bool is_tty = tcgetattr(fileno(tty), &saved) == 0;
  if (is_tty) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(fileno(tty), TCSANOW, &quiet);
  }
  // After echo is off: what is typed once the prompt shows is not shown.
  std::fputs(prompt.c_str(), tty);
  std::fflush(tty);
  char buffer[1024];
  const bool got = std::fgets(buffer, sizeof buffer, tty) != nullptr;
  if (is_tty) tcsetattr(fileno(tty), TCSANOW, &saved);
  std::fputs("\n", tty);
  std::fclose(tty);
  if (!got) return std::nullopt;
  std::string line(buffer);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  secure_wipe(buffer, sizeof buffer);
  return line;
}

SecretBytes secret_of(std::string& text) {
  SecretBytes secret(as_bytes(text));
  secure_wipe(text.data(), text.size());
  return secret;
}

// The passphrase of the home: KEYLINK_PASSPHRASE, or asked on the terminal (twice for a new home, whose
// vault it makes). Never empty: an empty passphrase would seal the home's keys under nothing.
SecretBytes passphrase_for(const std::filesystem::path& home) {
  if (const char* value = std::getenv("KEYLINK_PASSPHRASE")) {
    if (*value == '\0') die("KEYLINK_PASSPHRASE is empty: set it to the home's passphrase, or unset it to be asked");
    return SecretBytes(as_bytes(value));
  }
  const bool is_new = !runtime::Home::exists(home);
  auto line = read_hidden(is_new ? "New home " + home.string() + ": choose its passphrase: "
                                 : "Passphrase for " + home.string() + ": ");
  if (!line) die("no passphrase: set KEYLINK_PASSPHRASE or run keylink in a terminal");
  if (line->empty()) die("an empty passphrase protects nothing; nothing was done");
  SecretBytes secret = secret_of(*line);
  if (!is_new) return secret;
  auto again = read_hidden("Type it again: ");
  if (!again) die("no passphrase: set KEYLINK_PASSPHRASE or run keylink in a terminal");
  const SecretBytes confirmed = secret_of(*again);
  if (!(secret == confirmed)) die("the two passphrases differ; no home was made");
  return secret;
}

void report_relay_state(relay::RelayClient::State state, const std::string& why) {
  if (state == relay::RelayClient::State::kConnecting && !why.empty()) {
    say("relay: " + escape_for_terminal(why) + "; retrying");
  }
}

void report_publish_error(const Error& error) { say("relay: " + escape_for_terminal(error.message)); }

// Our narration may span lines; each line is escaped on its own.
std::string escaped_lines(std::string_view text) {
  std::string out;
  for (std::size_t start = 0;;) {
    const auto end = text.find('\n', start);
    out += escape_for_terminal(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return out;
    out += '\n';
    start = end + 1;
  }
}

}  // namespace

void add_global_options(CLI::App& app, GlobalOptions& options) {
  options.home = env_or("KEYLINK_HOME", env_or("HOME", ".") + "/.keylink");
  options.relay = env_or("KEYLINK_RELAY", "ws://127.0.0.1:8787");
  app.add_option("--home", options.home, "The directory of this party's keys and sessions (env KEYLINK_HOME)")
      ->capture_default_str();
  app.add_option("--relay", options.relay,
                 "The relay to connect to, ws:// or wss:// (env KEYLINK_RELAY); for a relay of several nodes, "
                 "their URLs separated by commas, tried in turn when one goes away")
      ->capture_default_str();
  options.relay_ca = env_or("KEYLINK_RELAY_CA", "");
  app.add_option("--relay-ca", options.relay_ca,
                 "PEM CA certificates to verify a wss:// relay with, instead of the system's (env KEYLINK_RELAY_CA)");
}

void die(const std::string& message) {
  std::cerr << "keylink: " << escape_for_terminal(message) << std::endl;
  throw CLI::RuntimeError(1);
}

void exit_with(int code) {
  if (code != 0) throw CLI::RuntimeError(code);
}

std::string argument_or_stdin(const std::string& argument) {
  if (argument != "-") return argument;
  std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  if (text.ends_with('\n')) text.pop_back();
  if (text.ends_with('\r')) text.pop_back();
  return text;
}

std::optional<std::string> read_secret_line(const std::string& prompt) {
  const bool is_tty = ::isatty(STDIN_FILENO) == 1;
  termios saved{};
  const bool quiet = is_tty && tcgetattr(STDIN_FILENO, &saved) == 0;
  if (quiet) {
    termios no_echo = saved;
    no_echo.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &no_echo);
  }
  say(prompt);  // once echo is off: what is typed after the prompt is not shown
  std::string line;
  const bool got = static_cast<bool>(std::getline(std::cin, line));
  if (quiet) {
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::cerr << std::endl;
  }
  if (!got) return std::nullopt;
  if (line.ends_with('\r')) line.pop_back();
  return line;
}

void say(const std::string& lines) { std::cerr << escaped_lines(lines) << std::endl; }

bool ask_yes(const std::string& prompt) {
  std::ifstream tty("/dev/tty");
  std::ofstream out("/dev/tty");
  if (!tty || !out) {
    say(prompt + "\nNo terminal to ask: answered no (--yes answers yes in scripts).");
    return false;
  }
  out << escaped_lines(prompt) << " [y/N] " << std::flush;
  std::string answer;
  std::getline(tty, answer);
  return answer == "y" || answer == "Y" || answer == "yes";
}

Command::Command(const GlobalOptions& options) : relay_options_{.url = options.relay, .ca_file = options.relay_ca} {
  const auto passphrase = passphrase_for(options.home);
  home_.emplace(check(runtime::Home::open(options.home, passphrase, rng_)));
}

Command::Command(const GlobalOptions& options, session::Metadata self) : Command(options) {
  open_session_node(std::move(self));
}

Command::Command(const GlobalOptions& options, session::Metadata self, OverKeystoreLink) : Command(options) {
  link_.emplace(check(runtime::keystore_link(*home_, rng_)));
  open_session_node(std::move(self));
}

void Command::open_session_node(session::Metadata self) {
  session::EngineOptions engine_options;
  engine_options.self = std::move(self);
  runtime::SessionNodeCallbacks callbacks{
      .on_event =
          [this](const session::Action& action) {
            if (const auto* dropped = std::get_if<session::MessageDropped>(&action)) {
              say("dropped a message on " + escape_for_terminal(dropped->topic.substr(0, 8)) +
                  "…: " + escape_for_terminal(dropped->reason));
            } else if (on_event) {
              on_event(action);
            }
          },
      .on_relay_state = report_relay_state,
      .on_publish_error = report_publish_error,
      .on_store_error = [](const Error& error) { say("storage: " + escape_for_terminal(error.message)); },
  };
  node_ = check(runtime::SessionNode::open(io_, session_home(), relay_options_, std::move(engine_options), rng_, clock_,
                                           std::move(callbacks)));
}

void Command::open_chat(
    std::function<void(const messaging::DecodedMessage&, const identity::ConversationReference&)> on_message) {
  // A home whose keys are in a wallet reaches them there; one without a messaging identity first looks
  // for its wallet's on the relay (another device of the wallet, or an XMTP app, made it): making a
  // second one would split the wallet's conversations.
  const auto remote = check(runtime::load_keystore_remote(home_->db()));
  std::unique_ptr<identity::Keystore> elsewhere;
  if (remote) {
    say("Reaching the keystore of " + remote->address + " in " + escape_for_terminal(remote->wallet) + "...");
    elsewhere = check(runtime::open_remote_keystore(*home_, *remote, relay_options_, app_metadata(), clock_));
  } else {
    restore_identity();
  }

  runtime::XmtpNodeCallbacks callbacks{
      .on_message = std::move(on_message),
      .on_refused =
          [](const messaging::Refusal& refusal) {
            say("dropped on " + escape_for_terminal(refusal.topic) + ": " + escape_for_terminal(refusal.error.message));
          },
      .on_relay_state = report_relay_state,
      .on_publish_error = report_publish_error,
  };
  chat_ = check(
      runtime::XmtpNode::open(io_, *home_, relay_options_, rng_, clock_, std::move(callbacks), std::move(elsewhere)));
  if (remote) {
    devices_synced_ = true;  // an app of the account, not a device of it
    return;
  }
  devices_ = check(runtime::DeviceSync::open(*home_, *chat_, device_name(), device_platform(), rng_, clock_));
  devices_->sync([this](Result<runtime::DeviceSyncReport> report) {
    if (!report) {
      say("devices: " + report.error().message + "; the device list may be out of date");
    } else {
      if (!report->refused.empty()) {
        say("devices: refused " + std::to_string(report->refused.size()) +
            " message(s) on the account's device topic (" + escape_for_terminal(report->refused.front()) +
            (report->refused.size() > 1 ? ", ..." : "") + ")");
      }
      if (report->removed) {
        say("This device was removed from the account by another device: it no longer receives the account's device\n"
            "updates or new conversations, though it keeps what it had (XMTP v2 cannot take that back).");
      }
    }
    devices_synced_ = true;
    for (auto& then : std::exchange(devices_waiters_, {})) then();
  });
}

void Command::restore_identity() {
  std::optional<Result<bool>> restored;
  runtime::XmtpNode::restore_identity(io_, *home_, relay_options_, rng_, clock_,
                                      [&](Result<bool> result) { restored = std::move(result); });
  const auto give_up = std::chrono::steady_clock::now() + kRelayWait;
  while (!restored && std::chrono::steady_clock::now() < give_up) io_.run_one_for(std::chrono::milliseconds(100));
  io_.restart();
  if (!restored)
    die("cannot reach the relay at " + relay_options_.url + " to look for this wallet's messaging identity; try again");
  if (!*restored) die("looking for this wallet's messaging identity: " + restored->error().message);
  if (**restored) say("Restored this wallet's messaging identity from its backup on the relay.");
}

runtime::DeviceSync& Command::devices() {
  if (!devices_) {
    die("this home's messaging keys are in a wallet (keylink keystore connect): it is an app of the account, "
        "not one of its devices; manage devices and their settings from a home that holds the keys");
  }
  return *devices_;
}

const sync::SyncState& Command::account_state() const {
  static const sync::SyncState kNone{sync::InstallationId{}};
  return devices_ ? devices_->state() : kNone;
}

void Command::change_account(sync::Change change) {
  if (devices_) check(devices_->change(std::move(change)));
}

void Command::when_devices_synced(std::function<void()> then) {
  if (devices_synced_) return then();
  devices_waiters_.push_back(std::move(then));
}

std::string local_time(TimePoint time) { return format_time(time, "%Y-%m-%d %H:%M:%S %Z", Zone::kLocal); }

std::string local_time(std::int64_t unix_seconds) { return local_time(TimePoint(std::chrono::seconds(unix_seconds))); }

session::Metadata app_metadata() {
  return {.name = "keylink CLI on " + device_name(),
          .description = "keylink's command-line messaging app",
          .url = "https://keylink.invalid/cli",
          .icons = {}};
}

std::string device_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "keylink device";
  return name;
}

std::string device_platform() {
  utsname system{};
  if (::uname(&system) != 0) return "unknown";
  std::string out = system.sysname;
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

int Command::run(std::optional<std::chrono::seconds> timeout, std::string timeout_message) {
  boost::asio::signal_set signals(io_, SIGINT, SIGTERM);
  signals.async_wait([this](boost::system::error_code error, int) {
    if (!error) finish(0);
  });
  if (timeout) {
    deadline_.expires_after(*timeout);
    deadline_.async_wait([message = std::move(timeout_message)](boost::system::error_code error) {
      if (!error) die(message);
    });
  }
  if (node_) node_->start();
  if (chat_) chat_->start();
  io_.run();
  return exit_code_.value_or(0);
}

void Command::finish(int code) {
  if (exit_code_) return;
  exit_code_ = code;
  deadline_.expires_after(kSendGrace);
  deadline_.async_wait([this](boost::system::error_code error) {
    if (error) return;
    say("relay: some messages were not acknowledged; they stay queued in the home and go at the next run");
    stop();
  });
  if (!node_ && !chat_) return stop();  // nothing queued: a device link has no outbox
  // A command runs one node or the other.
  auto when_sent = [this](std::function<void()> done) {
    node_ ? node_->when_sent(std::move(done)) : chat_->when_sent(std::move(done));
  };
  when_sent([this] {
    deadline_.cancel();
    stop();
  });
}

void Command::stop() {
  if (node_) node_->stop();
  if (chat_) chat_->stop();
  io_.stop();
}

}  // namespace keylink::cli
