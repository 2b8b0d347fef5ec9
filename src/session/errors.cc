#include "keylink/session/types.h"

namespace keylink::session {
namespace {

class SessionCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "keylink.session"; }
  std::string message(int code) const override {
    switch (static_cast<Errc>(code)) {
      case Errc::kNotFound: return "not found";
      case Errc::kExpired: return "expired";
      case Errc::kAlreadyUsed: return "already used";
      case Errc::kInvalid: return "invalid";
      case Errc::kUnauthorized: return "unauthorized";
    }
    return "unknown error";
  }
};

}  // namespace

const std::error_category& session_category() noexcept {
  static const SessionCategory category;
  return category;
}

}  // namespace keylink::session
