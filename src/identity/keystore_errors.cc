#include "keylink/identity/keystore_errors.h"

#include <string>

namespace keylink::identity {
namespace {

class KeystoreCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "keylink.identity.keystore"; }
  std::string message(int code) const override {
    switch (static_cast<KeystoreErrc>(code)) {
      case KeystoreErrc::kNoIdentity: return "no messaging identity";
      case KeystoreErrc::kIdentityExists: return "messaging identity exists";
      case KeystoreErrc::kUnknownConversation: return "unknown conversation";
      case KeystoreErrc::kNotForMe: return "not addressed to this identity";
      case KeystoreErrc::kBadHeader: return "bad header";
      case KeystoreErrc::kConflict: return "conflicts with a known conversation";
      case KeystoreErrc::kBadTime: return "impossible time";
      case KeystoreErrc::kRefused: return "refused by the keystore";
      case KeystoreErrc::kUnreachable: return "keystore unreachable";
      case KeystoreErrc::kNoPreKey: return "no such pre-key";
    }
    return "unknown error";
  }
};

}  // namespace

const std::error_category& keystore_category() noexcept {
  static const KeystoreCategory category;
  return category;
}

}  // namespace keylink::identity
