// Where the session engine keeps its state: the keychain (secret keys by topic or public key), pairings,
// proposals, sessions, pending requests and the ids of handled messages. The engine writes through on
// every change; the caller wraps each engine call in a transaction that also covers the messages the
// call sends, so state and messages commit together or not at all.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "keylink/base/result.h"
#include "keylink/base/rng.h"
#include "keylink/base/secret.h"
#include "keylink/session/types.h"
#include "keylink/store/database.h"
#include "keylink/store/vault.h"

namespace keylink::session {

class SessionStore {
 public:
  virtual ~SessionStore() = default;

  // The keychain: symKeys by topic, X25519 private keys by hex public key. Stored sealed.
  virtual Result<void> put_key(const std::string& name, const Secret<32>& key) = 0;
  virtual Result<std::optional<Secret<32>>> get_key(const std::string& name) = 0;
  virtual Result<void> delete_key(const std::string& name) = 0;

  virtual Result<void> put_pairing(const Pairing& pairing) = 0;
  virtual Result<void> delete_pairing(const std::string& topic) = 0;
  virtual Result<std::vector<Pairing>> pairings() = 0;

  virtual Result<void> put_proposal(const Proposal& proposal) = 0;
  virtual Result<void> delete_proposal(std::int64_t id) = 0;
  virtual Result<std::vector<Proposal>> proposals() = 0;

  virtual Result<void> put_session(const Session& session) = 0;
  virtual Result<void> delete_session(const std::string& topic) = 0;
  virtual Result<std::vector<Session>> sessions() = 0;

  // Requests are keyed by (topic, id); their params (what a peer asks to sign) are stored sealed.
  virtual Result<void> put_request(const PendingRequest& request) = 0;
  virtual Result<void> delete_request(const std::string& topic, std::int64_t id) = 0;
  virtual Result<std::vector<PendingRequest>> requests() = 0;

  // JSON-RPC ids already handled on a topic (requests received, responses received), so that a replayed
  // message is dropped, even after a restart. Kept until `expiry` (unix seconds).
  virtual Result<bool> seen(const std::string& topic, std::int64_t id, bool response) = 0;
  virtual Result<void> mark_seen(const std::string& topic, std::int64_t id, bool response, std::int64_t expiry) = 0;
  virtual Result<void> forget_seen_before(std::int64_t unix_seconds) = 0;
};

// The SQLite store: tables session_* in the home database, secrets sealed by the vault.
// REQUIRES: db, vault and rng outlive the store. Thread-compatible, on the thread of db.
// Creates the tables when missing.
Result<std::unique_ptr<SessionStore>> open_sqlite_session_store(store::Database& db, const store::Vault& vault,
                                                                Rng& rng);

}  // namespace keylink::session
