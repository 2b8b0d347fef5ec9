// Decodes arbitrary bytes as a chunk of the history a link streams to a new device: nothing may crash or
// read out of bounds, a refusal must say why, and what decodes re-encodes to bytes that decode the same.
#include <cstddef>
#include <cstdint>

#include "fuzz_util.h"
#include "keylink/wire/xmtp/linked_account.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace wx = keylink::wire::xmtp;
  auto decoded = wx::decode_history_chunk(keylink::ByteView(data, size));
  if (!decoded) {
    FUZZ_ASSERT(!decoded.error().message.empty());
    return 0;
  }
  auto again = wx::decode_history_chunk(wx::encode_history_chunk(*decoded));
  FUZZ_ASSERT(again.has_value());
  FUZZ_ASSERT(*again == *decoded);
  return 0;
}
