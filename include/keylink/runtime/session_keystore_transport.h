// The app side of the keystore over a WalletConnect session (docs/keystore.md): each call is a
// wc_sessionRequest on the `xmtp:v2` chain of the session with the wallet, signed with the home's app
// key and the next counter, and answered by the wallet's Gate.
//
// The messaging layer calls a Keystore synchronously from its own event loop, so this transport runs
// the session on a thread of its own, with its own io_context, over the home's keystore link
// (keystore_link: the session, the counter and the app key in a database of their own, so that a call
// made inside the messaging layer's transaction commits its request): call() hands the request to that
// thread and waits for the answer.
// call() is thread-safe; the destructor stops the thread (a call in flight fails with kUnreachable).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "keylink/base/clock.h"
#include "keylink/keystore/transport.h"
#include "keylink/relay/client.h"
#include "keylink/runtime/home.h"
#include "keylink/session/types.h"

namespace keylink::runtime {

struct SessionKeystoreOptions {
  relay::ClientOptions relay;
  session::Metadata self;  // the app, as the session's dApp
  std::string topic;       // the session with the wallet
  std::chrono::seconds timeout{60};  // per call: the wallet may be asking its user
  // The relay's largest message (keylink-relay --max-message-bytes): a request and its answer travel
  // base64 in JSON in an envelope in base64, so a call carries under half of it.
  std::size_t relay_max_message = 262144;
};

class SessionKeystoreTransport final : public keystore::KeystoreTransport {
 public:
  // Opens its connection to `home` and starts its thread. REQUIRES: clock outlives the transport.
  static Result<std::unique_ptr<SessionKeystoreTransport>> open(const Home& home, SessionKeystoreOptions options,
                                                                const Clock& clock);
  ~SessionKeystoreTransport() override;

  // Fails with identity::KeystoreErrc::kRefused (the wallet's error, with its code and reason) or
  // kUnreachable (no answer within the timeout, the session ended, the transport stopped).
  Result<Bytes> call(std::string_view method, ByteView req) override;
  std::size_t max_request_bytes() const noexcept override;

 private:
  struct State;
  explicit SessionKeystoreTransport(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace keylink::runtime
