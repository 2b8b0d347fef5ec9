#include "keylink/store/errors.h"

namespace keylink::store {
namespace {

class StoreCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "keylink.store"; }
  std::string message(int code) const override {
    switch (static_cast<Errc>(code)) {
      case Errc::kIo: return "storage I/O error";
      case Errc::kCorrupt: return "not a valid store";
      case Errc::kIncompatible: return "store from a newer version";
      case Errc::kBusy: return "store busy";
      case Errc::kConstraint: return "constraint violated";
      case Errc::kMisuse: return "store misuse";
      case Errc::kWrongPassphrase: return "wrong passphrase";
    }
    return "unknown error";
  }
};

}  // namespace

const std::error_category& store_category() noexcept {
  static const StoreCategory category;
  return category;
}

}  // namespace keylink::store
