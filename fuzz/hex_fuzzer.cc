// Property: whatever from_hex accepts re-encodes to the same text, lowercased.
#include <algorithm>
#include <cctype>
#include <string>

#include "fuzz_util.h"
#include "keylink/base/encoding.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = fuzz_text(data, size);
  auto bytes = keylink::from_hex(text);
  if (!bytes) {
    FUZZ_ASSERT(!bytes.error().message.empty());
    return 0;
  }
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  FUZZ_ASSERT(keylink::to_hex(*bytes) == lower);
  return 0;
}
