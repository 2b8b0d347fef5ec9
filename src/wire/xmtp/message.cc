#include "keylink/wire/xmtp/message.h"

#include "convert.h"
#include "xmtp/message_contents/message.pb.h"

namespace keylink::wire::xmtp {
namespace {

// xmtp-js MessageV1.fromBytes: both bundles, each with its identity key and its pre-key (from_proto
// requires both keys).
Result<PublicKeyBundle> header_bundle(bool present, const pb::PublicKeyBundle& proto, std::string_view field) {
  if (!present) return missing(field);
  auto bundle = from_proto(proto);
  if (!bundle) return fail(context(field, bundle.error()));
  return bundle;
}

}  // namespace

Result<MessageHeaderV1> decode_message_header_v1(ByteView bytes) {
  auto proto = parse_message<pb::MessageHeaderV1>(bytes, "MessageHeaderV1", kMaxMessageSize);
  if (!proto) return fail(proto.error());
  auto sender = header_bundle(proto->has_sender(), proto->sender(), "MessageHeaderV1.sender");
  if (!sender) return fail(sender.error());
  auto recipient = header_bundle(proto->has_recipient(), proto->recipient(), "MessageHeaderV1.recipient");
  if (!recipient) return fail(recipient.error());
  return MessageHeaderV1{std::move(*sender), std::move(*recipient), proto->timestamp()};
}

Result<MessageV1> decode_message_v1(ByteView bytes) {
  auto proto = parse_message<pb::Message>(bytes, "Message", kMaxMessageSize);
  if (!proto) return fail(proto.error());
  if (proto->has_v2()) return fail(Errc::kBadVersion, "Message: a V2 message where a V1 message belongs");
  if (!proto->has_v1()) return missing("Message.v1");
  const auto& v1 = proto->v1();
  if (v1.header_bytes().empty()) return missing("MessageV1.header_bytes");
  if (!v1.has_ciphertext()) return missing("MessageV1.ciphertext");
  auto header = decode_message_header_v1(as_bytes(v1.header_bytes()));
  if (!header) return fail(context("MessageV1.header_bytes", header.error()));
  auto ciphertext = from_proto(v1.ciphertext());
  if (!ciphertext) return fail(context("MessageV1.ciphertext", ciphertext.error()));
  return MessageV1{to_bytes(v1.header_bytes()), std::move(*header), std::move(*ciphertext)};
}

Bytes encode(const MessageHeaderV1& header) {
  pb::MessageHeaderV1 proto;
  to_proto(header.sender, *proto.mutable_sender());
  to_proto(header.recipient, *proto.mutable_recipient());
  proto.set_timestamp(header.timestamp);
  return serialize_message(proto);
}

Bytes encode(const MessageV1& message) {
  pb::Message proto;
  auto* v1 = proto.mutable_v1();
  v1->set_header_bytes(to_field(message.header_bytes));
  to_proto(message.ciphertext, *v1->mutable_ciphertext());
  return serialize_message(proto);
}

Result<MessageHeaderV2> decode_message_header_v2(ByteView bytes) {
  auto proto = parse_message<pb::MessageHeaderV2>(bytes, "MessageHeaderV2", kMaxMessageSize);
  if (!proto) return fail(proto.error());
  if (proto->topic().empty()) return missing("MessageHeaderV2.topic");
  return MessageHeaderV2{proto->created_ns(), proto->topic()};
}

Result<MessageV2> decode_message_v2(ByteView bytes) {
  auto proto = parse_message<pb::Message>(bytes, "Message", kMaxMessageSize);
  if (!proto) return fail(proto.error());
  if (proto->has_v1()) return fail(Errc::kBadVersion, "Message: a V1 message where a V2 message belongs");
  if (!proto->has_v2()) return missing("Message.v2");
  const auto& v2 = proto->v2();
  if (v2.header_bytes().empty()) return missing("MessageV2.header_bytes");
  if (!v2.has_ciphertext()) return missing("MessageV2.ciphertext");
  auto header = decode_message_header_v2(as_bytes(v2.header_bytes()));
  if (!header) return fail(context("MessageV2.header_bytes", header.error()));
  auto ciphertext = from_proto(v2.ciphertext());
  if (!ciphertext) return fail(context("MessageV2.ciphertext", ciphertext.error()));
  MessageV2 out{to_bytes(v2.header_bytes()), std::move(*header), std::move(*ciphertext), std::nullopt, std::nullopt};
  if (v2.has_sender_hmac()) out.sender_hmac = to_bytes(v2.sender_hmac());
  if (v2.has_should_push()) out.should_push = v2.should_push();
  return out;
}

Bytes encode(const MessageHeaderV2& header) {
  pb::MessageHeaderV2 proto;
  proto.set_created_ns(header.created_ns);
  proto.set_topic(header.topic);
  return serialize_message(proto);
}

Bytes encode(const MessageV2& message) {
  pb::Message proto;
  auto* v2 = proto.mutable_v2();
  v2->set_header_bytes(to_field(message.header_bytes));
  to_proto(message.ciphertext, *v2->mutable_ciphertext());
  if (message.sender_hmac) v2->set_sender_hmac(to_field(*message.sender_hmac));
  if (message.should_push) v2->set_should_push(*message.should_push);
  return serialize_message(proto);
}

}  // namespace keylink::wire::xmtp
