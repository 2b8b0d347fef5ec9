// Test-only: Debian's nats-server with JetStream as a process of its own on a free 127.0.0.1 port, its
// configuration and store in a directory the test owns. Bounded: a server that does not say it is ready
// within 15 s fails the test; the destructor kills it.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

extern char** environ;

namespace keylink::testing {

class NatsProcess {
 public:
  explicit NatsProcess(const std::string& dir) : log_path_(dir + "/nats.log") {
    {
      boost::asio::io_context io;
      boost::asio::ip::tcp::acceptor probe(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
      port_ = probe.local_endpoint().port();
    }
    const std::string config = dir + "/nats.conf";
    std::ofstream(config) << "listen: \"127.0.0.1:" << port_ << "\"\njetstream { store_dir: \"" << dir
                          << "/store\" }\n";
    std::string program = "nats-server", flag = "-c", config_arg = config;
    char* argv[] = {program.data(), flag.data(), config_arg.data(), nullptr};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    const int spawned = posix_spawnp(&pid_, program.c_str(), &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) {
      pid_ = 0;
      ADD_FAILURE() << "cannot run nats-server (scripts/install-deps installs it)";
      return;
    }
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (log().find("Server is ready") == std::string::npos && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_NE(log().find("Server is ready"), std::string::npos) << "nats-server did not start:\n" << log();
  }
  ~NatsProcess() {
    if (pid_ > 0 && kill(pid_, SIGKILL) == 0) waitpid(pid_, nullptr, 0);
  }
  NatsProcess(const NatsProcess&) = delete;
  NatsProcess& operator=(const NatsProcess&) = delete;

  std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
  std::string log() const {
    std::stringstream text;
    text << std::ifstream(log_path_).rdbuf();
    return text.str();
  }

 private:
  std::string log_path_;
  pid_t pid_ = 0;
  std::uint16_t port_ = 0;
};

}  // namespace keylink::testing
