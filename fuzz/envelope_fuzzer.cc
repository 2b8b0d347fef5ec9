// Decodes arbitrary text as an envelope and tries to open it; nothing may crash or read out of bounds,
// and only a sealed envelope under the fuzzer's key may open.
#include "fuzz_util.h"
#include "keylink/wire/envelope.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const keylink::Secret<32> key(keylink::Bytes(32, 0x42));
  auto envelope = keylink::wire::Envelope::decode(fuzz_text(data, size));
  if (!envelope) {
    FUZZ_ASSERT(!envelope.error().message.empty());
    return 0;
  }
  auto opened = envelope->open(key);
  if (opened) FUZZ_ASSERT(envelope->type != keylink::wire::EnvelopeType::kType2);
  return 0;
}
