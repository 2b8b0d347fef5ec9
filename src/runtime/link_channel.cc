#include "keylink/runtime/link_channel.h"

#include <string>

namespace keylink::runtime {
namespace {

class LinkChannelCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "keylink.runtime.link_channel"; }
  std::string message(int code) const override {
    switch (static_cast<LinkChannelErrc>(code)) {
      case LinkChannelErrc::kBadOption: return "bad link channel option";
      case LinkChannelErrc::kTooLarge: return "link message too large";
      case LinkChannelErrc::kBusy: return "link send queue full";
      case LinkChannelErrc::kNotConnected: return "no link peer connected";
      case LinkChannelErrc::kPeerGone: return "link peer gone";
      case LinkChannelErrc::kTimeout: return "link timed out";
      case LinkChannelErrc::kRefused: return "link connection refused";
    }
    return "link channel error";
  }
};

}  // namespace

const std::error_category& link_channel_category() noexcept {
  static const LinkChannelCategory category;
  return category;
}

}  // namespace keylink::runtime
