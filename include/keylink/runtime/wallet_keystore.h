// The wallet side of the keystore (docs/keystore.md): the home's LocalKeystore behind the policy
// (keystore::Gate: approvals, app signatures, counters, rate limits, the audit log) and the RPCs
// (keystore::KeystoreService), for the requests that reach the wallet over its WalletConnect sessions
// or its local socket; the approvals that follow a session proposal or a socket's keylink_hello; and
// the sessions kept or ended with their approvals.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "keylink/base/clock.h"
#include "keylink/base/rng.h"
#include "keylink/keystore/gate.h"
#include "keylink/keystore/service.h"
#include "keylink/keystore/session_upkeep.h"
#include "keylink/runtime/home.h"
#include "keylink/runtime/keystore_socket_server.h"
#include "keylink/session/types.h"

namespace keylink::runtime {

// Thread-compatible, on the home's thread. REQUIRES: home, rng and clock outlive it.
class WalletKeystore {
 public:
  // Fails with identity::KeystoreErrc::kNoIdentity when the home holds no messaging identity (its
  // wallet then grants no xmtp namespace).
  static Result<std::unique_ptr<WalletKeystore>> open(Home& home, Rng& rng, const Clock& clock);
  // Over any keystore, with the approvals and the audit log in `db` (sealed by `vault`). REQUIRES: all
  // of them outlive it.
  WalletKeystore(identity::Keystore& keystore, store::Database& db, const store::Vault& vault, Rng& rng,
                 const Clock& clock, keystore::RateLimits limits = {});
  ~WalletKeystore();

  // The account whose keys it holds (EIP-55).
  std::string address() const;
  keystore::Gate& gate() noexcept;

  // A request of the xmtp namespace on `channel` (a session topic, or "local:" + approval id).
  RpcOutcome answer(const std::string& channel, const std::string& method, const wire::Json& params);

  // After the user approved `proposal` with `granted` as session `topic`: the approval of its xmtp
  // namespace (nullopt when none was granted).
  Result<std::optional<keystore::Approval>> approve_session(const session::Proposal& proposal,
                                                            const session::SessionNamespaces& granted,
                                                            const std::string& topic);

  // keylink_hello {name, url, appKey, methods?} from a local app: the approval of that app key from
  // that executable that grants those scopes when one holds; otherwise `ask` (the user, shown the app, the
  // scopes and any look-alike) decides, and a yes grants the scopes of the methods asked (without
  // methods: every scope but push). Answers {approval, address, expiresAt}.
  using Ask = std::function<bool(const keystore::AppInfo& app, const std::vector<keystore::Scope>& scopes,
                                 const std::vector<keystore::Approval>& lookalikes)>;
  RpcOutcome hello(const SocketPeer& peer, const wire::Json& params, const Ask& ask);

  // What to do with the wallet's sessions now (keystore::session_upkeep).
  Result<keystore::SessionUpkeep> upkeep(const std::vector<session::Session>& sessions);

 private:
  std::unique_ptr<identity::Keystore> owned_;  // open()'s LocalKeystore
  identity::Keystore& keystore_;
  keystore::KeystoreService service_;
  keystore::Gate gate_;
  Rng& rng_;
  const Clock& clock_;
};

}  // namespace keylink::runtime
