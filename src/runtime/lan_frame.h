// The LAN link path's framing: a 4-byte big-endian length, then that many bytes of message. No sockets
// here: bytes in, whole messages out, so the decoder is fuzzed and tested alone.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "keylink/base/bytes.h"
#include "keylink/base/result.h"

namespace keylink::runtime::lan {

inline constexpr std::size_t kFrameHeaderSize = 4;

// The header and the message, ready to write. REQUIRES: message.size() fits in 32 bits.
Bytes encode_frame(ByteView message);

// Thread-compatible. Memory grows with the bytes of the frame actually received, never with the length
// a header announces: a peer that announces max_frame and sends one byte costs one byte.
class FrameDecoder {
 public:
  explicit FrameDecoder(std::size_t max_frame) : max_frame_(max_frame) {}

  // Takes all of `data` and appends each message it completes to `out`. Fails with
  // LinkChannelErrc::kTooLarge for a header over max_frame, before anything is sized from it; the
  // decoder then stays failed and takes nothing more.
  Result<void> feed(ByteView data, std::vector<Bytes>& out);

  // Some bytes of a frame (its header or its message) have come and the frame is not whole yet.
  bool mid_frame() const noexcept { return header_got_ > 0; }
  bool failed() const noexcept { return failed_; }
  // Memory held for the frame being read.
  std::size_t held_bytes() const noexcept { return message_.capacity(); }

 private:
  std::size_t max_frame_;
  std::array<std::uint8_t, kFrameHeaderSize> header_{};
  std::size_t header_got_ = 0;  // 0 to 4; 4: the header was read and checked, the message is coming
  std::size_t length_ = 0;      // of the message being read, once the header is whole
  Bytes message_;
  bool failed_ = false;
};

}  // namespace keylink::runtime::lan
