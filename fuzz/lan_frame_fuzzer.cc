// The LAN link path's frame decoder (src/runtime/lan_frame.h) on any bytes, cut anywhere.
// Input: byte 0 picks the chunk size the stream is fed in, the rest is the stream.
// Properties: every message out is within the cap; the messages out, framed again, are exactly the
// start of the stream; a refused header is the frame right after them and announces more than the cap;
// nothing is held beyond the bytes received.
#include <algorithm>
#include <vector>

#include "fuzz_util.h"
#include "lan_frame.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  constexpr std::size_t kMaxFrame = 4096;
  const std::size_t chunk = std::size_t{data[0]} + 1;
  const keylink::ByteView stream(data + 1, size - 1);
  keylink::runtime::lan::FrameDecoder decoder(kMaxFrame);
  std::vector<keylink::Bytes> out;
  bool refused = false;
  for (std::size_t at = 0; at < stream.size() && !refused; at += chunk) {
    refused = !decoder.feed(stream.subspan(at, std::min(chunk, stream.size() - at)), out);
    FUZZ_ASSERT(decoder.held_bytes() <= 2 * stream.size() + 64);  // vector growth, never the announced length
  }
  keylink::Bytes again;
  for (const keylink::Bytes& message : out) {
    FUZZ_ASSERT(message.size() <= kMaxFrame);
    const keylink::Bytes frame = keylink::runtime::lan::encode_frame(message);
    again.insert(again.end(), frame.begin(), frame.end());
  }
  FUZZ_ASSERT(again.size() <= stream.size());
  FUZZ_ASSERT(std::equal(again.begin(), again.end(), stream.begin()));
  if (refused) {
    FUZZ_ASSERT(decoder.failed());
    FUZZ_ASSERT(stream.size() >= again.size() + 4);
    const std::uint8_t* header = stream.data() + again.size();
    const std::size_t length = (std::size_t{header[0]} << 24) | (std::size_t{header[1]} << 16) |
                               (std::size_t{header[2]} << 8) | std::size_t{header[3]};
    FUZZ_ASSERT(length > kMaxFrame);
  }
  return 0;
}
