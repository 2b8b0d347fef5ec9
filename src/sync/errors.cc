#include "keylink/sync/errors.h"

namespace keylink::sync {
namespace {

class SyncCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "keylink.sync"; }
  std::string message(int code) const override {
    switch (static_cast<Errc>(code)) {
      case Errc::kMalformed: return "malformed";
      case Errc::kTooLarge: return "too large";
      case Errc::kBadSignature: return "bad signature";
      case Errc::kRollback: return "rollback";
      case Errc::kUnknownEpoch: return "unknown epoch";
      case Errc::kNotEnabled: return "sender not enabled";
      case Errc::kDecryptFailed: return "decrypt failed";
      case Errc::kNotForUs: return "not for this installation";
    }
    return "unknown error";
  }
};

}  // namespace

const std::error_category& sync_category() noexcept {
  static const SyncCategory category;
  return category;
}

}  // namespace keylink::sync
