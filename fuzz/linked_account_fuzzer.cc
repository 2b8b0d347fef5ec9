// Decodes arbitrary bytes as the account a device link carries (LinkedAccount), as a new device reads it
// once the link's channel has opened it: nothing may crash or read out of bounds, a refusal must say why,
// and whatever decodes must re-encode to bytes that decode and encode to the same bytes.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "fuzz_util.h"
#include "keylink/wire/xmtp/linked_account.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace wx = keylink::wire::xmtp;
  auto decoded = wx::decode_linked_account(keylink::ByteView(data, size));
  if (!decoded) {
    FUZZ_ASSERT(!decoded.error().message.empty());
    return 0;
  }
  const auto bytes = wx::encode(*decoded);
  auto again = wx::decode_linked_account(bytes.expose());
  FUZZ_ASSERT(again.has_value());
  const auto twice = wx::encode(*again);
  FUZZ_ASSERT(std::ranges::equal(twice.expose(), bytes.expose()));
  return 0;
}
