// The apps the wallet's user approved (docs/keystore.md, "Approvals"), kept in the home database:
//   keystore_approvals(id TEXT PRIMARY KEY, app_name, app_url, origin TEXT, app_key BLOB(32),
//                      scopes TEXT ("read,send"), channel TEXT, account TEXT,
//                      granted_ms, expires_ms, last_used_ms INTEGER, revoked_ms, paused_until_ms INTEGER NULL,
//                      calls TEXT (a JSON object: method -> count), last_counter INTEGER)
// Times are unix milliseconds. The table is made on first use.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keylink/base/clock.h"
#include "keylink/base/result.h"
#include "keylink/base/rng.h"
#include "keylink/crypto/ed25519.h"
#include "keylink/keystore/rpc.h"
#include "keylink/store/database.h"

namespace keylink::keystore {

// An approval lasts 30 days from its grant, absolute: using it does not extend it; only the user renews.
inline constexpr std::chrono::hours kApprovalLifetime{24 * 30};
// The channel of an approval made over the local socket is this prefix and its id.
inline constexpr std::string_view kLocalChannelPrefix = "local:";
// Origin of an app known only by what it claims (a WalletConnect proposal).
inline constexpr std::string_view kUnverifiedOrigin = "unverified";

// Who asks, as the wallet knows it when the user approves.
struct AppInfo {
  std::string name;
  std::string url;                        // claimed, never checked
  std::string origin{kUnverifiedOrigin};  // or "local uid=N exe=PATH"
  crypto::Ed25519PublicKey app_key{};     // signs every request
};

struct Approval {
  std::string id;  // 16 hex digits, random
  std::string app_name, app_url;
  std::string origin;
  crypto::Ed25519PublicKey app_key{};
  std::vector<Scope> scopes;                    // never kAny
  std::string channel;                          // the session topic, or "local:" + id
  TimePoint granted_at, expires_at, last_used;  // last_used == granted_at until the first call
  std::optional<TimePoint> revoked_at, paused_until;
  std::map<std::string, std::uint64_t> calls;  // per method, of the requests whose signature checked out
  std::uint64_t last_counter = 0;              // the greatest appCounter accepted
  std::string account;                         // EIP-55 address of the account whose keys it reaches

  bool expired(TimePoint now) const { return now >= expires_at; }
  bool paused(TimePoint now) const { return paused_until && now < *paused_until; }
  // kAny is granted to every approval.
  bool grants(Scope scope) const;
};

// What the gate would do with the approval's next request at `now`, in a word: "revoked", "expired",
// "paused" or "active".
std::string_view approval_status(const Approval& approval, TimePoint now);

// "2026-12-07T12:34:56Z": how the policy names a time in what it says.
std::string iso_time(TimePoint time);

// Thread-compatible, on the thread of its Database. REQUIRES: db outlives it. Each call is one
// statement (or the caller's transaction): safe with another process using the same home.
class Approvals {
 public:
  explicit Approvals(store::Database& db) : db_(&db) {}

  // A new approval, granted at `now` (to the millisecond), expiring kApprovalLifetime later. An empty
  // `channel` makes a local approval: its channel is "local:" + its id.
  Result<Approval> grant(const AppInfo& app, std::vector<Scope> scopes, std::string channel, std::string account,
                         Rng& rng, TimePoint now);

  Result<std::optional<Approval>> find(std::string_view id);
  // The newest approval on that channel, whatever its state (revoked, expired): the gate says which.
  Result<std::optional<Approval>> find_by_channel(std::string_view channel);
  // All of them, newest first.
  Result<std::vector<Approval>> list();
  // The approvals not revoked that claim `url` with another app key: the same name on another app,
  // which the wallet shows as a different app, with a warning.
  Result<std::vector<Approval>> lookalikes(std::string_view url, const crypto::Ed25519PublicKey& app_key);

  // These fail with Errc::kUnknownApproval for an id that is not there.
  Result<void> revoke(std::string_view id, TimePoint now);  // revoking twice keeps the first time
  // A new kApprovalLifetime from `now`, and no pause. Fails with kApprovalRevoked for a revoked one.
  Result<Approval> renew(std::string_view id, TimePoint now);
  Result<void> pause(std::string_view id, TimePoint until);
  Result<void> set_channel(std::string_view id, std::string_view channel);
  // A call of `method` with `counter`: last_used = now, calls[method] + 1, last_counter = counter, in
  // one statement that also checks the counter, so two processes serving one home cannot both accept
  // it. Fails with kReplayedCounter (nothing changed) unless counter > last_counter.
  Result<void> record_use(std::string_view id, std::string_view method, std::uint64_t counter, TimePoint now);

 private:
  Result<void> ensure_table();
  // The rows `where` (with `text` as ?1) picks, newest first.
  Result<std::vector<Approval>> select(std::string_view where, std::string_view text);
  // UPDATE ... SET `set` (with `value` as ?1) for the approval `id`.
  Result<void> update(std::string_view set, std::string_view id, std::int64_t value);

  store::Database* db_;
  bool table_ready_ = false;
};

}  // namespace keylink::keystore
