// Decodes arbitrary bytes as one of the XMTP protobufs (the first byte picks which); nothing may crash
// or read out of bounds, a refusal must say why, and whatever decodes must re-encode to bytes that
// decode again to the same encoding (the domain types lose nothing they keep).
#include <cstddef>
#include <cstdint>

#include "fuzz_util.h"
#include "keylink/wire/xmtp/ciphertext.h"
#include "keylink/wire/xmtp/contact.h"
#include "keylink/wire/xmtp/content.h"
#include "keylink/wire/xmtp/invitation.h"
#include "keylink/wire/xmtp/keys.h"
#include "keylink/wire/xmtp/message.h"
#include "keylink/wire/xmtp/network_envelope.h"
#include "keylink/wire/xmtp/private_keys.h"

namespace {

namespace wx = keylink::wire::xmtp;
using keylink::ByteView;

template <class Decode>
void check(Decode decode, ByteView input) {
  auto decoded = decode(input);
  if (!decoded) {
    FUZZ_ASSERT(!decoded.error().message.empty());
    return;
  }
  const auto bytes = wx::encode(*decoded);
  auto again = decode(bytes);
  FUZZ_ASSERT(again.has_value());
  FUZZ_ASSERT(wx::encode(*again) == bytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const ByteView input(data + 1, size - 1);
  switch (data[0] % 19) {
    case 0: check(wx::decode_signature, input); break;
    case 1: check(wx::decode_unsigned_public_key, input); break;
    case 2: check(wx::decode_signed_public_key, input); break;
    case 3: check(wx::decode_signed_public_key_bundle, input); break;
    case 4: check(wx::decode_public_key, input); break;
    case 5: check(wx::decode_public_key_bundle, input); break;
    case 6: check(wx::decode_ciphertext, input); break;
    case 7: check(wx::decode_envelope, input); break;
    case 8: check(wx::decode_message_header_v2, input); break;
    case 9: check(wx::decode_message_v2, input); break;
    case 10: check(wx::decode_encoded_content, input); break;
    case 11: check(wx::decode_signed_content, input); break;
    case 12: check(wx::decode_invitation_v1, input); break;
    case 13: check(wx::decode_sealed_invitation_header_v1, input); break;
    case 14: check([](ByteView bytes) { return wx::decode_sealed_invitation(bytes); }, input); break;
    case 15: check(wx::decode_contact_bundle, input); break;
    case 17: check(wx::decode_message_header_v1, input); break;
    case 18: check(wx::decode_message_v1, input); break;
    default: {
      auto bundle = wx::decode_private_key_bundle(input);
      if (!bundle) FUZZ_ASSERT(!bundle.error().message.empty());
      break;
    }
  }
  return 0;
}
