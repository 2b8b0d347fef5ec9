// The wallet side of the keystore over a local Unix socket (docs/keystore.md, "Local socket"): a
// daemon (`keylink keystore serve --socket PATH`) that local apps reach without a relay.
//
// The socket is made 0600; a peer is accepted only when the kernel says (SO_PEERCRED) it runs as this
// process's user, and its executable (/proc/PID/exe) is what the approval records as its origin.
// Frames: u32be length and a JSON-RPC 2.0 request, at most 4 MiB. A connection's first request is
// keylink_hello; its answer names the approval, and every later request of the connection is
// answered on the channel "local:" + that approval. The decisions (who is approved, what is answered)
// are the handlers' (keystore::Gate and the wallet's approvals); this is the I/O.
#pragma once

#include <utility>  // before Boost.Asio (Boost 1.74, g++ 12, C++20)

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string>
#include <sys/types.h>

#include "keylink/base/result.h"
#include "keylink/wire/jsonrpc.h"

namespace keylink::runtime {

inline constexpr std::size_t kKeystoreSocketMaxFrame = 4 << 20;
inline constexpr std::size_t kKeystoreSocketMaxConnections = 32;
inline constexpr std::string_view kHelloMethod = "keylink_hello";

// Who is at the other end, as the kernel tells it.
struct SocketPeer {
  uid_t uid = 0;
  pid_t pid = 0;
  std::string exe;  // /proc/PID/exe, or "" when it cannot be read
};

using RpcOutcome = tl::expected<wire::Json, wire::RpcError>;

struct KeystoreSocketHandlers {
  // keylink_hello {name, url, appKey}: the app asks to be approved (or names its approval). Gives
  // {approval, address, expiresAt}; the approval id is the connection's channel from then on.
  std::function<RpcOutcome(const SocketPeer& peer, const wire::Json& params)> on_hello;
  // An xmtp_* request on an approved connection.
  std::function<RpcOutcome(const std::string& channel, const std::string& method, const wire::Json& params)>
      on_request;
};

// Runs on `io` (its handlers too: one that asks the user holds the other connections meanwhile). A peer
// that lets more than 16 MiB of answers queue up unread is dropped. close() or the destructor stops it
// and removes the socket file.
class KeystoreSocketServer {
 public:
  // Listens on `path`. Fails when it exists and something answers there (another server), or when it
  // cannot be made; a stale socket file (nobody answers) is replaced.
  static Result<std::unique_ptr<KeystoreSocketServer>> listen(boost::asio::io_context& io, std::string path,
                                                              KeystoreSocketHandlers handlers);
  ~KeystoreSocketServer();
  void close();

  std::size_t connections() const noexcept;

 private:
  struct State;
  explicit KeystoreSocketServer(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

}  // namespace keylink::runtime
