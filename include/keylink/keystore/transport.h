// The app side of a keystore that lives elsewhere: how RemoteKeystore reaches it. Implementations
// (runtime) carry one request of the `xmtp` namespace (docs/keystore.md) over a WalletConnect session
// or a local socket, signing it with the app key and the next counter, and wait for the answer.
#pragma once

#include <cstddef>
#include <string_view>

#include "keylink/base/bytes.h"
#include "keylink/base/result.h"

namespace keylink::keystore {

class KeystoreTransport {
 public:
  virtual ~KeystoreTransport() = default;
  // One request: `method` with its prefix ("xmtp_decryptV2"), `req` the request protobuf (empty for the
  // methods without one). Gives the response protobuf, or an error whose message is the wallet's
  // refusal (or why the wallet was not reached). Blocks until then.
  virtual Result<Bytes> call(std::string_view method, ByteView req) = 0;
  // The largest `req` one call carries (RemoteKeystore splits a batch over it); its answer is about as
  // large.
  virtual std::size_t max_request_bytes() const noexcept { return std::size_t{4} << 20; }
};

}  // namespace keylink::keystore
