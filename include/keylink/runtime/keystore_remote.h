// A home whose messaging keys live elsewhere (docs/keystore.md): an app's home that reaches a wallet's
// keystore over a WalletConnect session or a local socket. What it keeps: where the keystore is and the
// account it holds (in the home's database), and in the keystore link's: the session, the app key and
// the request counter (reserved in blocks, so that no two requests of this home ever use one counter,
// even across crashes: a gap is fine, a repeat is refused by the wallet).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <string_view>

#include "keylink/base/clock.h"
#include "keylink/base/result.h"
#include "keylink/identity/keystore.h"
#include "keylink/relay/client.h"
#include "keylink/session/types.h"
#include "keylink/store/database.h"

namespace keylink::runtime {

struct KeystoreRemote {
  enum class Kind { kSession, kSocket };
  Kind kind = Kind::kSession;
  std::string where;    // the session topic, or the socket's path
  std::string address;  // EIP-55: the account whose keys the wallet holds
  std::string wallet;   // the wallet's name as it gave it
};

// The home's keystore elsewhere, or nullopt when its keys are its own.
Result<std::optional<KeystoreRemote>> load_keystore_remote(store::Database& db);
// Whether the home holds a messaging identity of its own (keystore::LocalKeystore's).
Result<bool> holds_own_identity(store::Database& db);
// Records it (replacing any earlier one). Fails with identity::KeystoreErrc::kIdentityExists when the
// home holds a messaging identity of its own: one home, one place for its keys.
Result<void> save_keystore_remote(store::Database& db, const KeystoreRemote& remote);

// The Keystore of a home whose keys are elsewhere: keystore::RemoteKeystore over the transport its
// record names (a session over `relay`, with `self` as the app; or the socket). Fails with
// identity::KeystoreErrc::kUnreachable or kRefused as the transport does, and with kRefused when the
// wallet now holds another account than the one recorded. REQUIRES: clock outlives the keystore.
Result<std::unique_ptr<identity::Keystore>> open_remote_keystore(const class Home& home, const KeystoreRemote& remote,
                                                                 const relay::ClientOptions& relay,
                                                                 const session::Metadata& self, const Clock& clock);

// The names of the keys (Home::key) an app uses: the app key it signs each request with, and the relay
// client key of the transport's own connection; both in the keystore link's database.
inline constexpr std::string_view kAppKeyName = "keystore-app-key";
inline constexpr std::string_view kTransportClientKeyName = "keystore-relay-client-key";
// The keystore link's database, beside the home's: the session with the wallet, the request counter
// and the app key. The messaging layer calls the keystore inside its own transactions on the home's
// database; what a call writes (the session's request, a counter block) commits here meanwhile.
inline constexpr std::string_view kKeystoreLinkFile = "keystore-link.db";

// The home over the keystore link's database, with the transport's relay client key.
Result<Home> keystore_link(const Home& home, Rng& rng);

// Hands out request counters that only grow, reserving them in the database `block` at a time.
// Thread-compatible: one thread, with its own connection to the keystore link (keystore_link), uses it.
class AppCounter {
 public:
  explicit AppCounter(store::Database& db, std::uint64_t block = 1000) : db_(db), block_(block) {}
  Result<std::uint64_t> next();

 private:
  store::Database& db_;
  std::uint64_t block_;
  std::uint64_t next_ = 0;
  std::uint64_t end_ = 0;  // the first counter not reserved
};

}  // namespace keylink::runtime
