#include "keylink/wire/xmtp/relay_mapping.h"

#include "keylink/base/encoding.h"
#include "keylink/crypto/hash.h"
#include "keylink/wire/errors.h"

namespace keylink::wire::xmtp {

std::string relay_topic(std::string_view xmtp_topic) { return to_hex(crypto::sha256(as_bytes(xmtp_topic))); }

std::string relay_payload(const Envelope& envelope) { return to_base64(encode(envelope)); }

Result<Envelope> decode_relay_payload(std::string_view text) {
  // Checked before decoding, so that an oversized text costs nothing.
  if (text.size() > kMaxRelayPayloadSize) {
    return fail(Errc::kTooLarge, "XMTP relay payload: " + std::to_string(text.size()) + " characters, over the " +
                                     std::to_string(kMaxRelayPayloadSize) + "-character limit");
  }
  auto bytes = from_base64(text);
  if (!bytes) {
    return fail(Errc::kMalformed, "XMTP relay payload: not standard padded base64 (" + bytes.error().message + ")");
  }
  auto envelope = decode_envelope(*bytes);
  if (!envelope) return fail(context("XMTP relay payload: not an XMTP Envelope", envelope.error()));
  return envelope;
}

}  // namespace keylink::wire::xmtp
