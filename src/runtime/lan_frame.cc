#include "lan_frame.h"

#include <algorithm>
#include <string>

#include "keylink/base/check.h"
#include "keylink/runtime/link_channel.h"

namespace keylink::runtime::lan {

Bytes encode_frame(ByteView message) {
  KEYLINK_CHECK(message.size() <= UINT32_MAX);
  const auto length = static_cast<std::uint32_t>(message.size());
  Bytes frame{static_cast<std::uint8_t>(length >> 24), static_cast<std::uint8_t>(length >> 16),
              static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length)};
  frame.insert(frame.end(), message.begin(), message.end());
  return frame;
}

Result<void> FrameDecoder::feed(ByteView data, std::vector<Bytes>& out) {
  if (failed_) return fail(LinkChannelErrc::kTooLarge, "LAN link: a frame over the limit came before");
  while (!data.empty()) {
    if (header_got_ < kFrameHeaderSize) {
      const std::size_t take = std::min(kFrameHeaderSize - header_got_, data.size());
      std::copy_n(data.begin(), take, header_.begin() + static_cast<std::ptrdiff_t>(header_got_));
      header_got_ += take;
      data = data.subspan(take);
      if (header_got_ < kFrameHeaderSize) return {};
      length_ = (std::size_t{header_[0]} << 24) | (std::size_t{header_[1]} << 16) | (std::size_t{header_[2]} << 8) |
                std::size_t{header_[3]};
      if (length_ > max_frame_) {
        failed_ = true;
        return fail(LinkChannelErrc::kTooLarge, "LAN link: the peer sent a frame of " + std::to_string(length_) +
                                                    " bytes, over the limit of " + std::to_string(max_frame_));
      }
    }
    const std::size_t take = std::min(length_ - message_.size(), data.size());
    message_.insert(message_.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(take));
    data = data.subspan(take);
    if (message_.size() < length_) return {};
    out.push_back(std::move(message_));
    message_ = Bytes();
    header_got_ = 0;
    length_ = 0;
  }
  return {};
}

}  // namespace keylink::runtime::lan
