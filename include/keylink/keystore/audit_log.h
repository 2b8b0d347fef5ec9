// The wallet's audit log (docs/keystore.md, "The audit log"): one entry per request that reached the
// gate, append-only, each entry's MAC chained to the one before, in the home database:
//   keystore_audit(seq INTEGER PRIMARY KEY (1, 2, ...), time_ms INTEGER, approval TEXT ('' for none),
//                  method TEXT, items INTEGER, outcome TEXT ("ok" or the error code),
//                  topics TEXT (sha256 hex of each topic, ',' between), mac BLOB(32))
//   keystore_audit_key(id = 1, sealed_key BLOB): the 32-byte MAC key, sealed by the vault under
//                  "keystore-audit-key"
//   keystore_audit_head(id = 1, seq INTEGER, mac BLOB(32)): the last entry, MACed, so that deleting
//                  the newest entries shows too
// mac(entry) = HMAC-SHA256(key, mac(previous entry) ‖ canonical bytes), 32 zero bytes before the first;
// canonical bytes = u64be seq ‖ i64be time_ms ‖ each text field as u32be length ‖ bytes (approval,
// method, outcome) ‖ u64be items ‖ u32be topic count ‖ each topic hash as u32be length ‖ hex.
// Never plaintext, a key, or a topic in clear: only what the entry names.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "keylink/base/clock.h"
#include "keylink/base/result.h"
#include "keylink/base/rng.h"
#include "keylink/base/secret.h"
#include "keylink/crypto/hash.h"
#include "keylink/store/database.h"
#include "keylink/store/vault.h"

namespace keylink::keystore {

// What the gate saw of one request.
struct AuditEvent {
  std::string approval;  // its id, empty when none
  std::string method;    // as the app sent it (cut at kMaxLoggedMethod bytes)
  std::uint64_t items = 1;
  std::string outcome;              // "ok", or the JSON-RPC error code ("9106")
  std::vector<std::string> topics;  // in clear: append() keeps only their sha256
};

struct AuditEntry {
  std::uint64_t seq = 0;
  TimePoint time;
  std::string approval, method;
  std::uint64_t items = 0;
  std::string outcome;
  std::vector<std::string> topic_hashes;  // sha256 hex of each topic
  crypto::Digest32 mac{};
};

// An app picks the method name; the log keeps this much of it.
inline constexpr std::size_t kMaxLoggedMethod = 80;

// Thread-compatible, on the thread of its Database. REQUIRES: db, vault and rng outlive it. One process
// appends at a time (the gate's); others may read and verify.
class AuditLog {
 public:
  AuditLog(store::Database& db, const store::Vault& vault, Rng& rng) : db_(&db), vault_(&vault), rng_(&rng) {}

  // Appends one entry after the newest, in one transaction (or the caller's). Makes the tables and
  // the key on first use. Returns its seq.
  Result<std::uint64_t> append(const AuditEvent& event, TimePoint time);
  // The newest `limit` entries, oldest first.
  Result<std::vector<AuditEntry>> list(std::size_t limit);
  // Recomputes the chain; fails with Errc::kAuditLogTampered naming the first entry (by seq) that does
  // not check out: a changed field, a deleted or reordered entry, or newest entries deleted.
  Result<void> verify();

 private:
  Result<void> ensure_key();
  // Calls `visit` on each entry `order_limit` picks (binding `limit` as ?1 when given) until it returns false.
  Result<void> for_each(std::string_view order_limit, std::optional<std::int64_t> limit,
                        const std::function<bool(AuditEntry)>& visit);
  // The newest `limit` entries, newest first.
  Result<std::vector<AuditEntry>> newest(std::size_t limit);
  crypto::Digest32 entry_mac(const crypto::Digest32& previous, const AuditEntry& entry) const;
  crypto::Digest32 head_mac(std::uint64_t seq, const crypto::Digest32& last) const;
  Result<std::uint64_t> append_in_transaction(const AuditEvent& event, TimePoint time);

  store::Database* db_;
  const store::Vault* vault_;
  Rng* rng_;
  std::optional<Secret<32>> key_;
  // The key was made here, maybe inside a caller's transaction that may still roll back: read it back
  // once more before trusting it (a key rolled back with its entries is made anew).
  bool key_made_ = false;
};

}  // namespace keylink::keystore
