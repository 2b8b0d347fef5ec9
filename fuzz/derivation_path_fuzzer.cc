// Property: whatever DerivationPath::parse accepts prints as a path that parses to the same indices.
#include "fuzz_util.h"
#include "keylink/identity/bip32.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto path = keylink::identity::DerivationPath::parse(fuzz_text(data, size));
  if (!path) {
    FUZZ_ASSERT(!path.error().message.empty());
    return 0;
  }
  FUZZ_ASSERT(path->indices().size() <= keylink::identity::kMaxPathDepth);
  auto again = keylink::identity::DerivationPath::parse(path->to_string());
  FUZZ_ASSERT(again.has_value() && again->indices() == path->indices());
  return 0;
}
