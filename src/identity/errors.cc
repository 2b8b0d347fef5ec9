#include <string>

#include "keylink/identity/errors.h"

namespace keylink::identity {
namespace {

class IdentityCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "keylink.identity"; }
  std::string message(int code) const override {
    switch (static_cast<Errc>(code)) {
      case Errc::kNoAccount: return "no account";
      case Errc::kReservedMessage: return "reserved message";
      case Errc::kAccountExists: return "account exists";
      case Errc::kBadMnemonic: return "bad mnemonic";
      case Errc::kBadPath: return "bad derivation path";
      case Errc::kNoMnemonic: return "no mnemonic";
    }
    return "unknown error";
  }
};

}  // namespace

const std::error_category& identity_category() noexcept {
  static const IdentityCategory category;
  return category;
}

}  // namespace keylink::identity
