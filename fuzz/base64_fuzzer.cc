// Property: in each variant, whatever from_base64 accepts re-encodes to exactly the same text.
#include "fuzz_util.h"
#include "keylink/base/encoding.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using keylink::Base64;
  const auto text = fuzz_text(data, size);
  for (Base64 variant : {Base64::kStandard, Base64::kStandardUnpadded, Base64::kUrl, Base64::kUrlUnpadded}) {
    auto bytes = keylink::from_base64(text, variant);
    if (bytes) FUZZ_ASSERT(keylink::to_base64(*bytes, variant) == text);
  }
  return 0;
}
