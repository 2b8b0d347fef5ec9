// The app side of the keystore over a local Unix socket (docs/keystore.md, "Local socket"): the
// connection says keylink_hello {name, url, appKey} once (the wallet's user approves the app, or its
// approval holds), then each call is one signed xmtp_* request on the channel "local:" + approval.
//
// Blocking I/O on the caller's thread, one call at a time (a mutex): the messaging layer calls a
// Keystore synchronously, and a local socket answers in microseconds.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "keylink/keystore/transport.h"
#include "keylink/runtime/home.h"

namespace keylink::runtime {

struct SocketKeystoreOptions {
  std::string path;
  std::string app_name;
  std::string app_url;
  // The methods the app asks for (their scopes are what the user approves); empty: every method but
  // the push server's HMAC keys.
  std::vector<std::string> methods;
  // For keylink_hello (the wallet's user may be deciding) and for each call.
  std::chrono::seconds timeout{120};
};

// What keylink_hello answered.
struct SocketApproval {
  std::string approval;
  std::string address;  // EIP-55, the account whose keys the wallet holds
  std::string expires_at;
};

class SocketKeystoreTransport final : public keystore::KeystoreTransport {
 public:
  // Connects and says hello, signing with the home's app key (Home::key(kAppKeyName)); its own
  // connection to the home keeps the request counter. Fails with identity::KeystoreErrc::kUnreachable
  // (nobody serves there, no answer in time) or kRefused (the wallet's user or policy said no).
  static Result<std::unique_ptr<SocketKeystoreTransport>> connect(const Home& home, SocketKeystoreOptions options);
  ~SocketKeystoreTransport() override;

  const SocketApproval& approval() const noexcept;
  // Thread-safe (one call at a time).
  Result<Bytes> call(std::string_view method, ByteView req) override;

 private:
  struct State;
  explicit SocketKeystoreTransport(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace keylink::runtime
