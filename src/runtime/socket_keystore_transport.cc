// SocketKeystoreTransport: the keystore over a local Unix socket, blocking (socket_keystore_transport.h).
#include "keylink/runtime/socket_keystore_transport.h"

#include <cerrno>
#include <cstring>
#include <mutex>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "keylink/base/encoding.h"
#include "keylink/identity/keystore_errors.h"
#include "keylink/keystore/app_request.h"
#include "keylink/runtime/keystore_remote.h"
#include "keylink/runtime/keystore_socket_server.h"
#include "lan_frame.h"

namespace keylink::runtime {
namespace {

using identity::KeystoreErrc;
using Clock = std::chrono::steady_clock;

Error unreachable(const std::string& path, const std::string& why) {
  return Error{make_error_code(KeystoreErrc::kUnreachable), "keystore socket " + path + ": " + why};
}

}  // namespace

struct SocketKeystoreTransport::State {
  State(Home home_in, SocketKeystoreOptions options_in, crypto::Ed25519KeyPair app_key_in)
      : home(std::move(home_in)), options(std::move(options_in)), app_key(std::move(app_key_in)), counter(home.db()) {}
  ~State() {
    if (fd >= 0) ::close(fd);
  }

  Home home;
  SocketKeystoreOptions options;
  crypto::Ed25519KeyPair app_key;
  AppCounter counter;
  SocketApproval approval;
  int fd = -1;
  std::int64_t next_id = 1;
  lan::FrameDecoder decoder{kKeystoreSocketMaxFrame};
  std::vector<Bytes> frames;  // read and not yet taken
  std::mutex mutex;

  Result<void> open() {
    fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return fail(unreachable(options.path, std::strerror(errno)));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (options.path.size() >= sizeof address.sun_path) return fail(unreachable(options.path, "path too long"));
    std::memcpy(address.sun_path, options.path.c_str(), options.path.size() + 1);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
      return fail(unreachable(options.path, std::string(std::strerror(errno)) +
                                                " (is `keylink keystore serve --socket " + options.path + "` running?)"));
    }
    return {};
  }

  // One request, its answer: the result, or the wallet's refusal as kRefused.
  Result<wire::Json> exchange(std::string method, wire::Json params) {
    const std::int64_t id = next_id++;
    const std::string text = wire::to_json_text(wire::RpcRequest{id, std::move(method), std::move(params)});
    const Bytes frame = lan::encode_frame(as_bytes(text));
    for (std::size_t sent = 0; sent < frame.size();) {
      const ssize_t wrote = ::send(fd, frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL);
      if (wrote < 0 && errno == EINTR) continue;
      if (wrote <= 0) return fail(unreachable(options.path, std::string("the wallet went away: ") + std::strerror(errno)));
      sent += static_cast<std::size_t>(wrote);
    }
    const auto deadline = Clock::now() + options.timeout;
    for (;;) {
      while (!frames.empty()) {
        const Bytes answer = std::move(frames.front());
        frames.erase(frames.begin());
        auto message = wire::parse_rpc_message(as_chars(answer));
        if (!message || !std::holds_alternative<wire::RpcResponse>(*message)) {
          return fail(unreachable(options.path, "the wallet sent what is not a JSON-RPC response"));
        }
        auto& response = std::get<wire::RpcResponse>(*message);
        if (response.id != wire::RpcId(id)) continue;  // an answer to a call given up on
        if (!response.ok()) {
          return fail(KeystoreErrc::kRefused, "the wallet refused (" + std::to_string(response.error().code) +
                                                  "): " + response.error().message);
        }
        return response.result();
      }
      if (auto got = receive(deadline); !got) return tl::unexpected(got.error());
    }
  }

  Result<void> receive(Clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      return fail(unreachable(options.path, "no answer within " + std::to_string(options.timeout.count()) + " s"));
    }
    pollfd readable{.fd = fd, .events = POLLIN, .revents = 0};
    const int ready = ::poll(&readable, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno != EINTR) return fail(unreachable(options.path, std::strerror(errno)));
    if (ready <= 0) return {};
    std::array<std::uint8_t, 16 << 10> buffer{};
    const ssize_t got = ::recv(fd, buffer.data(), buffer.size(), 0);
    if (got < 0 && errno == EINTR) return {};
    if (got <= 0) return fail(unreachable(options.path, "the wallet closed the connection"));
    if (auto fed = decoder.feed(ByteView(buffer.data(), static_cast<std::size_t>(got)), frames); !fed) {
      return fail(unreachable(options.path, "the wallet sent a frame over 4 MiB"));
    }
    return {};
  }

  Result<void> hello() {
    wire::Json params = {{"name", options.app_name},
                         {"url", options.app_url},
                         {"appKey", to_base64(app_key.public_key())}};
    if (!options.methods.empty()) params["methods"] = options.methods;
    auto answer = exchange(std::string(kHelloMethod), std::move(params));
    if (!answer) return tl::unexpected(answer.error());
    const auto text = [&](const char* field) {
      const auto found = answer->find(field);
      return found != answer->end() && found->is_string() ? found->get<std::string>() : std::string();
    };
    approval = {.approval = text("approval"), .address = text("address"), .expires_at = text("expiresAt")};
    if (approval.approval.empty() || approval.address.empty()) {
      return fail(unreachable(options.path, "the wallet's hello names no approval or account"));
    }
    return {};
  }
};

Result<std::unique_ptr<SocketKeystoreTransport>> SocketKeystoreTransport::connect(const Home& home,
                                                                                  SocketKeystoreOptions options) {
  SystemRng rng;
  auto own = keystore_link(home, rng);
  if (!own) return tl::unexpected(own.error());
  auto app_key = own->key(kAppKeyName, rng);
  if (!app_key) return tl::unexpected(app_key.error());
  auto state = std::make_unique<State>(std::move(*own), std::move(options), std::move(*app_key));
  if (auto opened = state->open(); !opened) return tl::unexpected(opened.error());
  if (auto said = state->hello(); !said) return tl::unexpected(said.error());
  return std::unique_ptr<SocketKeystoreTransport>(new SocketKeystoreTransport(std::move(state)));
}

SocketKeystoreTransport::SocketKeystoreTransport(std::unique_ptr<State> state) : state_(std::move(state)) {}
SocketKeystoreTransport::~SocketKeystoreTransport() = default;

const SocketApproval& SocketKeystoreTransport::approval() const noexcept { return state_->approval; }

Result<Bytes> SocketKeystoreTransport::call(std::string_view method, ByteView req) {
  const std::lock_guard lock(state_->mutex);
  auto counter = state_->counter.next();
  if (!counter) return tl::unexpected(counter.error());
  auto params =
      keystore::app_request_params(state_->app_key, "local:" + state_->approval.approval, method, req, *counter);
  auto answer = state_->exchange(std::string(method), std::move(params));
  if (!answer) return tl::unexpected(answer.error());
  return keystore::parse_app_response(*answer);
}

}  // namespace keylink::runtime
