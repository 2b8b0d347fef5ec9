// xmtp_rotate_pre_key HOME RELAY_URL: runs XmtpNode::rotate_pre_key on a keylink home (the passphrase in
// KEYLINK_PASSPHRASE), waits until the relay has the new contact bundles, and prints the new pre-key
// (uncompressed, lowercase hex) on stdout. For xmtp_pre_key_rotation.test.js, which holds a rotated
// home against the real @xmtp/xmtp-js 13.0.4 while the CLI has no command of its own for it (device
// removal calls it). Exit 0 when done, 1 with the reason on stderr.
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>

#include <boost/asio/io_context.hpp>

#include "keylink/base/bytes.h"
#include "keylink/base/clock.h"
#include "keylink/base/encoding.h"
#include "keylink/base/rng.h"
#include "keylink/runtime/home.h"
#include "keylink/runtime/xmtp_node.h"

namespace {

int refuse(const std::string& why) {
  std::cerr << "xmtp_rotate_pre_key: " << why << std::endl;
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace keylink;
  if (argc != 3) return refuse("usage: xmtp_rotate_pre_key HOME RELAY_URL (passphrase in KEYLINK_PASSPHRASE)");
  const char* passphrase = std::getenv("KEYLINK_PASSPHRASE");
  if (!passphrase) return refuse("KEYLINK_PASSPHRASE is not set");
  SystemRng rng;
  SystemClock clock;
  auto home = runtime::Home::open(argv[1], SecretBytes(as_bytes(std::string_view(passphrase))), rng);
  if (!home) return refuse(home.error().message);
  boost::asio::io_context io;
  runtime::XmtpNodeCallbacks callbacks;
  callbacks.on_publish_error = [](const Error& error) { std::cerr << "relay refused: " << error.message << std::endl; };
  auto node = runtime::XmtpNode::open(io, *home, relay::ClientOptions{.url = argv[2]}, rng, clock, callbacks);
  if (!node) return refuse(node.error().message);
  (*node)->start();
  if (auto rotated = (*node)->rotate_pre_key(); !rotated) return refuse(rotated.error().message);
  bool sent = false;
  (*node)->when_sent([&] { sent = true; });
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!sent && std::chrono::steady_clock::now() < give_up) io.run_one_for(std::chrono::milliseconds(100));
  if (!sent) return refuse("the relay did not acknowledge the new contact bundles");
  (*node)->stop();
  std::cout << to_hex((*node)->keystore().public_key_bundle().pre_key.key.key) << std::endl;
  return 0;
}
