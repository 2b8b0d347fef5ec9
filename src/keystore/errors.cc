#include "keylink/keystore/errors.h"

#include <string>

namespace keylink::keystore {
namespace {

class PolicyCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "keylink.keystore"; }
  std::string message(int code) const override {
    switch (static_cast<Errc>(code)) {
      case Errc::kUnknownApproval: return "unknown approval";
      case Errc::kApprovalRevoked: return "approval revoked";
      case Errc::kAuditLogTampered: return "audit log tampered";
      case Errc::kReplayedCounter: return "replayed app counter";
    }
    return "unknown error";
  }
};

}  // namespace

const std::error_category& keystore_policy_category() noexcept {
  static const PolicyCategory category;
  return category;
}

}  // namespace keylink::keystore
