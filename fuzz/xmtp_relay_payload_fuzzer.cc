// Decodes arbitrary text as an XMTP relay payload (base64 of an Envelope, as a relay or a peer sends it):
// nothing may crash or read out of bounds, a refusal must say why, and what decodes must map back to the
// same text (the encoding is canonical: strict base64, deterministic protobuf).
#include <cstddef>
#include <cstdint>

#include "fuzz_util.h"
#include "keylink/wire/xmtp/relay_mapping.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace wx = keylink::wire::xmtp;
  const auto text = fuzz_text(data, size);
  auto envelope = wx::decode_relay_payload(text);
  if (!envelope) {
    FUZZ_ASSERT(!envelope.error().message.empty());
    return 0;
  }
  const std::string again = wx::relay_payload(*envelope);
  auto redecoded = wx::decode_relay_payload(again);
  FUZZ_ASSERT(redecoded.has_value());
  FUZZ_ASSERT(wx::relay_payload(*redecoded) == again);
  FUZZ_ASSERT(wx::relay_topic(redecoded->content_topic).size() == 64);
  return 0;
}
