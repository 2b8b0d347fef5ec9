// Decodes arbitrary bytes as a private-store backup (EncryptedPrivateKeyBundle, or the bare V1 of the
// first format), as read from anyone's private-store topic: nothing may crash or read out of bounds, a
// refusal must say why, and whatever decodes must re-encode to bytes that decode to the same value.
#include <cstddef>
#include <cstdint>

#include "fuzz_util.h"
#include "keylink/wire/xmtp/private_store.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace wx = keylink::wire::xmtp;
  auto decoded = wx::decode_encrypted_private_key_bundle(keylink::ByteView(data, size));
  if (!decoded) {
    FUZZ_ASSERT(!decoded.error().message.empty());
    return 0;
  }
  const auto bytes = wx::encode(*decoded);
  auto again = wx::decode_encrypted_private_key_bundle(bytes);
  FUZZ_ASSERT(again.has_value());
  FUZZ_ASSERT(*again == *decoded);
  FUZZ_ASSERT(wx::encode(*again) == bytes);
  return 0;
}
