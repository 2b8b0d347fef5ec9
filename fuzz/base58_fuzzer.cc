// Property: whatever from_base58 accepts re-encodes to exactly the same text.
#include "fuzz_util.h"
#include "keylink/base/encoding.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = fuzz_text(data, size);
  auto bytes = keylink::from_base58(text);
  if (bytes) FUZZ_ASSERT(keylink::to_base58(*bytes) == text);
  return 0;
}
