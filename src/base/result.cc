#include "keylink/base/result.h"

namespace keylink {
namespace {

class BaseCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "keylink.base"; }
  std::string message(int code) const override {
    switch (static_cast<Errc>(code)) {
      case Errc::kInvalidEncoding: return "invalid encoding";
      case Errc::kWrongLength: return "wrong length";
      case Errc::kTooLarge: return "too large";
    }
    return "unknown error";
  }
};

}  // namespace

const std::error_category& base_category() noexcept {
  static const BaseCategory category;
  return category;
}

}  // namespace keylink
