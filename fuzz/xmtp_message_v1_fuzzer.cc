// Decodes arbitrary bytes as an XMTP V1 message or its header (the first byte picks which): nothing may
// crash, a refusal must say why, and what decodes must re-encode to bytes that decode to the same
// encoding.
#include <cstddef>
#include <cstdint>

#include "fuzz_util.h"
#include "keylink/wire/xmtp/message.h"

namespace {

namespace wx = keylink::wire::xmtp;
using keylink::ByteView;

template <class Decode>
void check(Decode decode, ByteView input) {
  auto decoded = decode(input);
  if (!decoded) {
    FUZZ_ASSERT(!decoded.error().message.empty());
    return;
  }
  const auto bytes = wx::encode(*decoded);
  auto again = decode(bytes);
  FUZZ_ASSERT(again.has_value());
  FUZZ_ASSERT(wx::encode(*again) == bytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const ByteView input(data + 1, size - 1);
  if (data[0] % 2 == 0) {
    check(wx::decode_message_v1, input);
  } else {
    check(wx::decode_message_header_v1, input);
  }
  return 0;
}
