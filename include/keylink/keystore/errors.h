// Errors of the wallet's policy (approvals, audit log), sorted by what the caller does next. The
// refusals an app gets are JSON-RPC errors (rpc.h, codes); these are the wallet's own.
#pragma once

#include <system_error>

namespace keylink::keystore {

enum class Errc {
  kUnknownApproval = 1,  // no approval has that id: list them (`keylink apps`)
  kApprovalRevoked,      // a revoked approval cannot be renewed: the app must ask again
  kAuditLogTampered,     // an audit log entry does not check out: the log was changed without the key
  kReplayedCounter,      // an app counter not greater than the last accepted: a replay, or a race lost
};
const std::error_category& keystore_policy_category() noexcept;
inline std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), keystore_policy_category()}; }

}  // namespace keylink::keystore

template <>
struct std::is_error_code_enum<keylink::keystore::Errc> : std::true_type {};
