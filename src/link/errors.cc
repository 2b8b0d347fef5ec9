#include "keylink/link/errors.h"

namespace keylink::link {
namespace {

class LinkCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "keylink.link"; }
  std::string message(int code) const override {
    switch (static_cast<Errc>(code)) {
      case Errc::kMalformed: return "malformed";
      case Errc::kTooLarge: return "too large";
      case Errc::kExpired: return "expired";
      case Errc::kWrongCode: return "wrong code";
      case Errc::kCodeUsed: return "code already used";
      case Errc::kUnsupported: return "unsupported";
    }
    return "unknown error";
  }
};

}  // namespace

const std::error_category& link_category() noexcept {
  static const LinkCategory category;
  return category;
}

}  // namespace keylink::link
