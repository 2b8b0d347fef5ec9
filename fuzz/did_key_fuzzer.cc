// Property: a did:key that parses is the one we would write for its key.
#include "fuzz_util.h"
#include "keylink/crypto/did_key.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = fuzz_text(data, size);
  auto key = keylink::crypto::ed25519_from_did_key(text);
  if (key) FUZZ_ASSERT(keylink::crypto::did_key_from_ed25519(*key) == text);
  return 0;
}
