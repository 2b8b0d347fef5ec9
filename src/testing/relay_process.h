// Test-only: keylink-relay as a process of its own on 127.0.0.1, for tests that check what the real
// node counts (/metrics) and keeps (its SQLite store). Bounded everywhere: a relay that does not start
// or stop in time fails the test and is killed.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

extern char** environ;

namespace keylink::testing {

class RelayProcess {
 public:
  // Runs `program --listen 127.0.0.1:0 args...`, its output in `log_dir`, until it prints its URL.
  RelayProcess(const std::string& program, const std::vector<std::string>& args, const std::string& log_dir)
      : out_path_(log_dir + "/relay.out"), err_path_(log_dir + "/relay.err") {
    std::vector<std::string> argv_text{program, "--listen", "127.0.0.1:0"};
    argv_text.insert(argv_text.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& arg : argv_text) argv.push_back(arg.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, 2, err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int spawned = posix_spawn(&pid_, program.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) {
      pid_ = 0;
      ADD_FAILURE() << "cannot run " << program;
      return;
    }
    const std::string ready = "keylink-relay listening on ";
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (url_.empty() && std::chrono::steady_clock::now() < give_up) {
      std::ifstream out(out_path_);
      for (std::string line; std::getline(out, line);) {
        if (line.starts_with(ready)) url_ = line.substr(ready.size());
      }
      if (url_.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_FALSE(url_.empty()) << "keylink-relay did not say where it listens:\n" << log();
    port_ = static_cast<std::uint16_t>(std::stoi(url_.substr(url_.rfind(':') + 1)));
  }
  ~RelayProcess() {
    if (pid_ > 0 && kill(pid_, SIGKILL) == 0) waitpid(pid_, nullptr, 0);
  }
  RelayProcess(const RelayProcess&) = delete;
  RelayProcess& operator=(const RelayProcess&) = delete;

  const std::string& url() const { return url_; }

  // GET /metrics as {name: value}.
  std::map<std::string, double> metrics() const {
    boost::asio::ip::tcp::iostream http;
    http.expires_after(std::chrono::seconds(10));
    http.connect("127.0.0.1", std::to_string(port_));
    http << "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" << std::flush;
    std::map<std::string, double> values;
    for (std::string line; std::getline(http, line);) {
      if (line.empty() || line.starts_with('#') || !line.starts_with("keylink_relay_")) continue;
      const auto space = line.rfind(' ');
      values[line.substr(0, space)] = std::stod(line.substr(space + 1));
    }
    EXPECT_FALSE(values.empty()) << "no metrics from " << url_;
    return values;
  }

  // SIGKILL, as a crash: nothing is drained or flushed.
  void crash() {
    if (pid_ > 0 && kill(pid_, SIGKILL) == 0) waitpid(pid_, nullptr, 0);
    pid_ = 0;
  }

  // SIGTERM, then the exit status once it has drained (10 s at most, then SIGKILL and -1).
  int stop() {
    if (pid_ <= 0) return -1;
    kill(pid_, SIGTERM);
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    int status = 0;
    while (std::chrono::steady_clock::now() < give_up) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = 0;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;  // the destructor kills it
  }

  std::string log() const {
    std::stringstream text;
    text << std::ifstream(out_path_).rdbuf() << std::ifstream(err_path_).rdbuf();
    return text.str();
  }

 private:
  std::string out_path_;
  std::string err_path_;
  pid_t pid_ = 0;
  std::string url_;
  std::uint16_t port_ = 0;
};

}  // namespace keylink::testing
