// Decodes arbitrary bytes as an XMTP PrivatePreferencesAction or PrivatePreferencesPayload (the first
// byte picks which): nothing may crash, a refusal must say why, and what decodes must re-encode to bytes
// that decode to the same value.
#include <cstddef>
#include <cstdint>

#include "fuzz_util.h"
#include "keylink/wire/xmtp/private_preferences.h"

namespace wx = keylink::wire::xmtp;
using keylink::ByteView;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const ByteView input(data + 1, size - 1);
  if (data[0] % 2 == 0) {
    auto action = wx::decode_private_preferences_action(input);
    if (!action) {
      FUZZ_ASSERT(!action.error().message.empty());
      return 0;
    }
    auto again = wx::decode_private_preferences_action(wx::encode(*action));
    FUZZ_ASSERT(again.has_value() && *again == *action);
  } else {
    auto ciphertext = wx::decode_private_preferences_payload(input);
    if (!ciphertext) {
      FUZZ_ASSERT(!ciphertext.error().message.empty());
      return 0;
    }
    auto again = wx::decode_private_preferences_payload(wx::encode_private_preferences_payload(*ciphertext));
    FUZZ_ASSERT(again.has_value() && *again == *ciphertext);
  }
  return 0;
}
