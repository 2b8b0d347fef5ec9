#include "keylink/relay/errors.h"

namespace keylink::relay {
namespace {

class RelayCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "keylink.relay"; }
  std::string message(int code) const override {
    switch (static_cast<Errc>(code)) {
      case Errc::kBadAddress: return "cannot listen";
      case Errc::kBadOption: return "bad option";
      case Errc::kRefused: return "refused by the relay";
      case Errc::kNotAcknowledged: return "not acknowledged by the relay";
      case Errc::kCluster: return "cluster unavailable";
    }
    return "unknown error";
  }
};

}  // namespace

const std::error_category& relay_category() noexcept {
  static const RelayCategory category;
  return category;
}

}  // namespace keylink::relay
