// Drives whole relay connections with arbitrary bytes: the server's own HttpSession and WebsocketSession
// (HTTP request, upgrade, auth, frames, JSON-RPC into the relay core) read them from one end of an
// in-process socket pair, on a local event loop. The bytes go in pieces cut at arbitrary points (from the
// input's first byte), the event loop running between pieces. "@T" in the input stands for a valid auth
// token, so that the fuzzer reaches past the upgrade without forging a signature.
//
// Nothing may crash, no exception may reach a connection's handler (the server would drop the connection:
// contained, but a bug), and nothing may allocate much: run it with -malloc_limit_mb and -rss_limit_mb
// (scripts/run-fuzzers passes fuzz/<target>.flags). A header that declares 2^40 bytes was once enough.
#include <sys/socket.h>
#include <unistd.h>

#include <utility>  // before Boost.Asio (Boost 1.74, g++ 12, C++20)

#include <boost/asio.hpp>
#include <string>

#include "fuzz_util.h"
#include "keylink/base/rng.h"
#include "keylink/crypto/ed25519.h"
#include "keylink/crypto/jwt.h"
#include "keylink/relay/relay_core.h"
#include "relay/http_session.h"
#include "relay/server_state.h"

namespace {

using namespace keylink;
namespace asio = boost::asio;

constexpr std::string_view kUrl = "ws://relay.fuzz";
constexpr int kMaxPolls = 10'000;  // event loop turns per piece: a bound, never reached by a sane server

const ManualClock& fuzz_clock() {
  static const ManualClock clock;
  return clock;
}

// A token for kUrl, valid at fuzz_clock()'s time, from a fixed key: the same in every run.
const std::string& valid_token() {
  static const std::string token = [] {
    FixedRng rng(7);
    const auto key = crypto::Ed25519KeyPair::generate(rng);
    return crypto::sign_relay_auth_jwt(key, "fuzz", kUrl, fuzz_clock().unix_seconds(), 3600);
  }();
  return token;
}

std::string with_tokens(std::string_view input) {
  std::string out;
  for (std::size_t at = 0;;) {
    const std::size_t marker = input.find("@T", at);
    out.append(input.substr(at, marker - at));
    if (marker == std::string_view::npos) return out;
    out += valid_token();
    at = marker + 2;
  }
}

// Runs what is ready, and reads (and drops) what the server wrote, until nothing more happens.
void settle(asio::io_context& io, int client_fd) {
  char sink[4096];
  for (int i = 0; i < kMaxPolls; ++i) {
    const std::size_t ran = io.poll();
    const ssize_t got = recv(client_fd, sink, sizeof sink, MSG_DONTWAIT);
    if (ran == 0 && got <= 0) return;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string input = with_tokens(fuzz_text(data + 1, size - 1));
  std::uint32_t cut = data[0];  // where the pieces end: a small LCG seeded by the first byte

  relay::Limits limits;
  limits.max_frame_bytes = 64 << 10;
  limits.max_message_bytes = 16 << 10;
  limits.max_subscriptions_per_client = 8;
  limits.delivery_window = 4;
  relay::RelayCore core(limits, fuzz_clock(), nullptr);
  {
    asio::io_context io(1);
    relay::ServerOptions options;
    options.limits = limits;
    options.public_urls = {std::string(kUrl)};
    options.log = std::make_shared<spdlog::logger>("fuzz");  // no sinks
    auto state = std::make_shared<relay::ServerState>(io, std::move(options), core, fuzz_clock());
    int fds[2];
    FUZZ_ASSERT(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    asio::ip::tcp::socket server_end(io);
    boost::system::error_code error;
    server_end.assign(asio::ip::tcp::v4(), fds[0], error);
    FUZZ_ASSERT(!error);
    std::make_shared<relay::HttpSession>(std::move(server_end), state, "192.0.2.1")->run();
    for (std::size_t at = 0; at < input.size();) {
      cut = cut * 1103515245 + 12345;
      const std::size_t piece = std::min<std::size_t>(input.size() - at, 1 + (cut >> 16) % 512);
      for (std::size_t sent = 0; sent < piece;) {
        const ssize_t n = send(fds[1], input.data() + at + sent, piece - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n <= 0) break;  // the server closed, or its buffer is full: what it did not take is dropped
        sent += static_cast<std::size_t>(n);
      }
      at += piece;
      settle(io, fds[1]);
    }
    shutdown(fds[1], SHUT_WR);  // the client is done: the server sees EOF and ends the connection
    settle(io, fds[1]);
    close(fds[1]);
    settle(io, -1);
  }  // the event loop and any session it still holds go before the core
  FUZZ_ASSERT(core.metrics().errors["exception"] == 0);
  return 0;
}
