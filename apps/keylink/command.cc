#include "command.h"

#include <termios.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>

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
  std::fputs(prompt.c_str(), tty);
  std::fflush(tty);
  termios saved{};
  const bool is_tty = tcgetattr(fileno(tty), &saved) == 0;
  if (is_tty) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(fileno(tty), TCSANOW, &quiet);
  }
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

SecretBytes passphrase_for(const std::filesystem::path& home) {
  if (const char* value = std::getenv("KEYLINK_PASSPHRASE")) {
    return SecretBytes(ByteView(reinterpret_cast<const std::uint8_t*>(value), std::strlen(value)));
  }
  auto line = read_hidden("Passphrase for " + home.string() + ": ");
  if (!line) die("no passphrase: set KEYLINK_PASSPHRASE or run keylink in a terminal");
  SecretBytes secret(ByteView(reinterpret_cast<const std::uint8_t*>(line->data()), line->size()));
  secure_wipe(line->data(), line->size());
  return secret;
}

void report_relay_state(relay::RelayClient::State state, const std::string& why) {
  if (state == relay::RelayClient::State::kConnecting && !why.empty()) say("relay: " + why + "; retrying");
}

void report_publish_error(const Error& error) { say("relay: " + error.message); }

}  // namespace

void add_global_options(CLI::App& app, GlobalOptions& options) {
  options.home = env_or("KEYLINK_HOME", env_or("HOME", ".") + "/.keylink");
  options.relay = env_or("KEYLINK_RELAY", "ws://127.0.0.1:8787");
  app.add_option("--home", options.home, "The directory of this party's keys and sessions (env KEYLINK_HOME)")
      ->capture_default_str();
  app.add_option("--relay", options.relay, "The relay to connect to, ws:// or wss:// (env KEYLINK_RELAY)")
      ->capture_default_str();
  options.relay_ca = env_or("KEYLINK_RELAY_CA", "");
  app.add_option("--relay-ca", options.relay_ca,
                 "PEM CA certificates to verify a wss:// relay with, instead of the system's (env KEYLINK_RELAY_CA)");
}

void die(const std::string& message) {
  std::cerr << "keylink: " << message << std::endl;
  throw CLI::RuntimeError(1);
}

void exit_with(int code) {
  if (code != 0) throw CLI::RuntimeError(code);
}

void say(const std::string& line) { std::cerr << line << std::endl; }

bool ask_yes(const std::string& question) {
  std::ifstream tty("/dev/tty");
  std::ofstream out("/dev/tty");
  if (!tty || !out) return false;
  out << question << " [y/N] " << std::flush;
  std::string answer;
  std::getline(tty, answer);
  return answer == "y" || answer == "Y" || answer == "yes";
}

Command::Command(const GlobalOptions& options) : relay_options_{.url = options.relay, .ca_file = options.relay_ca} {
  const auto passphrase = passphrase_for(options.home);
  home_.emplace(check(runtime::Home::open(options.home, passphrase, rng_)));
}

Command::Command(const GlobalOptions& options, session::Metadata self) : Command(options) {
  session::EngineOptions engine_options;
  engine_options.self = std::move(self);
  runtime::SessionNodeCallbacks callbacks{
      .on_event =
          [this](const session::Action& action) {
            if (const auto* dropped = std::get_if<session::MessageDropped>(&action)) {
              say("dropped a message on " + dropped->topic.substr(0, 8) + "…: " + dropped->reason);
            } else if (on_event) {
              on_event(action);
            }
          },
      .on_relay_state = report_relay_state,
      .on_publish_error = report_publish_error,
      .on_store_error = [](const Error& error) { say("storage: " + error.message); },
  };
  node_ = check(runtime::SessionNode::open(io_, *home_, relay_options_, std::move(engine_options), rng_, clock_,
                                           std::move(callbacks)));
}

void Command::open_chat(
    std::function<void(const messaging::DecodedMessage&, const identity::ConversationReference&)> on_message) {
  // A home without a messaging identity first looks for its wallet's on the relay (another device of
  // the wallet, or an XMTP app, made it): making a second one would split the wallet's conversations.
  std::optional<Result<bool>> restored;
  runtime::XmtpNode::restore_identity(io_, *home_, relay_options_, rng_, clock_,
                                      [&](Result<bool> result) { restored = std::move(result); });
  const auto give_up = std::chrono::steady_clock::now() + kRelayWait;
  while (!restored && std::chrono::steady_clock::now() < give_up) io_.run_one_for(std::chrono::milliseconds(100));
  io_.restart();
  if (!restored) die("cannot reach the relay at " + relay_options_.url + " to look for this wallet's messaging identity; try again");
  if (!*restored) die("looking for this wallet's messaging identity: " + restored->error().message);
  if (**restored) say("Restored this wallet's messaging identity from its backup on the relay.");

  runtime::XmtpNodeCallbacks callbacks{
      .on_message = std::move(on_message),
      .on_refused = [](const messaging::Refusal& refusal) { say("dropped on " + refusal.topic + ": " + refusal.error.message); },
      .on_relay_state = report_relay_state,
      .on_publish_error = report_publish_error,
  };
  chat_ = check(runtime::XmtpNode::open(io_, *home_, relay_options_, rng_, clock_, std::move(callbacks)));
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
