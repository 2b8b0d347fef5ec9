#include "keylink/wire/xmtp/network_envelope.h"

#include "convert.h"
#include "xmtp/message_api/v1/message_api.pb.h"

namespace keylink::wire::xmtp {

Result<Envelope> decode_envelope(ByteView bytes) {
  auto proto = parse_message<::xmtp::message_api::v1::Envelope>(bytes, "Envelope", kMaxEnvelopeSize);
  if (!proto) return fail(proto.error());
  if (proto->content_topic().empty()) return missing("Envelope.content_topic");
  return Envelope{proto->content_topic(), proto->timestamp_ns(), to_bytes(proto->message())};
}

Bytes encode(const Envelope& envelope) {
  ::xmtp::message_api::v1::Envelope proto;
  proto.set_content_topic(envelope.content_topic);
  proto.set_timestamp_ns(envelope.timestamp_ns);
  proto.set_message(to_field(envelope.message));
  return serialize_message(proto);
}

}  // namespace keylink::wire::xmtp
