// The wallet's policy in front of its keystore RPCs (docs/keystore.md): every request an app sends on
// a channel (a session topic, or "local:" + approval id) is checked against its approval, limited,
// run, and logged. Sans-IO: no socket, no thread, no clock or randomness of its own.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "keylink/base/clock.h"
#include "keylink/base/rng.h"
#include "keylink/keystore/app_request.h"
#include "keylink/keystore/approvals.h"
#include "keylink/keystore/audit_log.h"
#include "keylink/keystore/rate_limit.h"
#include "keylink/keystore/rpc.h"
#include "keylink/store/database.h"
#include "keylink/store/vault.h"
#include "keylink/wire/jsonrpc.h"

namespace keylink::keystore {

// Thread-compatible, on the thread of its Database. REQUIRES: db, vault, clock and rng outlive it.
// The rate limiter's buckets live in the Gate (rate_limit.h): one Gate per wallet process.
class Gate {
 public:
  Gate(store::Database& db, const store::Vault& vault, const Clock& clock, Rng& rng, RateLimits limits = {});

  // Checks, in this order, and refuses with the first that fails (rpc.h, codes; each message says why):
  //   an unknown or never-allowed method (kNotGranted); params not {req?, appCounter, appSig}
  //   (kInvalidParams); no approval on the channel (kNoApproval); revoked (kApprovalRevoked); expired
  //   (kApprovalExpired); a bad app signature (kBadAppSignature); a counter not above the last one
  //   accepted (kReplayedCounter); a scope not granted (kNotGranted); paused or over the rate limit
  //   (kRateLimited, naming the time the pause ends).
  // Then runs `handler` and answers {"res": base64(response)} or its error. A request whose signature
  // and counter check out counts as a use of the approval (last_used, calls, last_counter), refused
  // later or not. Every call is appended to the audit log with its outcome (a request that did not
  // prove itself, within kUnprovenLogLimits per channel); a call the log cannot record is answered with
  // an internal error. The use, what the handler writes and the audit entry
  // commit together, in one transaction (the caller's if one is open, e.g. the session step that
  // queues the answer): an answer leaves the wallet only with its record.
  // Items are known only once the handler ran: a request whose items overdraw the bucket pauses the
  // approval and is answered with kRateLimited (its result dropped) unless the handler refused it.
  tl::expected<wire::Json, wire::RpcError> answer(std::string_view channel, std::string_view method,
                                                  const wire::Json& params, const KeystoreHandler& handler);

  // Called when a request pauses an approval (the wallet tells its user), with paused_until set.
  std::function<void(const Approval&)> on_pause;

  Approvals& approvals() noexcept { return approvals_; }
  AuditLog& audit_log() noexcept { return log_; }

 private:
  struct Verdict;
  Verdict decide(std::string_view channel, std::string_view method, const wire::Json& params,
                 const KeystoreHandler& handler, TimePoint now);
  Verdict run(Approval& approval, const MethodInfo& info, const AppRequest& request, const KeystoreHandler& handler,
              TimePoint now);
  tl::unexpected<wire::RpcError> pause(Approval& approval, Over over, TimePoint now);
  void notice_lifted_pause(const Approval& approval, TimePoint now);

  store::Database* db_;
  Approvals approvals_;
  AuditLog log_;
  RateLimiter limiter_;
  RateLimiter unproven_{kUnprovenLogLimits};  // by channel
  const Clock* clock_;
  std::map<std::string, TimePoint, std::less<>> paused_by_us_;  // approval id -> the end of a pause we set
};

}  // namespace keylink::keystore
