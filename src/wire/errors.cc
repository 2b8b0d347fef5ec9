#include "keylink/wire/errors.h"

namespace keylink::wire {
namespace {

class WireCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "keylink.wire"; }
  std::string message(int code) const override {
    switch (static_cast<Errc>(code)) {
      case Errc::kMalformed: return "malformed";
      case Errc::kTooLarge: return "too large";
      case Errc::kBadVersion: return "unsupported version";
      case Errc::kExpired: return "expired";
    }
    return "unknown error";
  }
};

}  // namespace

const std::error_category& wire_category() noexcept {
  static const WireCategory category;
  return category;
}

}  // namespace keylink::wire
