#include "keylink/wire/xmtp/content.h"

#include "convert.h"
#include "xmtp/message_contents/content.pb.h"

namespace keylink::wire::xmtp {

Result<EncodedContent> decode_encoded_content(ByteView bytes) {
  auto proto = parse_message<pb::EncodedContent>(bytes, "EncodedContent", kMaxContentSize);
  if (!proto) return fail(proto.error());
  if (!proto->has_type()) return missing("EncodedContent.type");
  const auto& type = proto->type();
  EncodedContent out;
  out.type = ContentTypeId{type.authority_id(), type.type_id(), type.version_major(), type.version_minor()};
  out.parameters.insert(proto->parameters().begin(), proto->parameters().end());
  if (proto->has_fallback()) out.fallback = proto->fallback();
  if (proto->has_compression()) {
    const int value = static_cast<int>(proto->compression());
    if (value != 0 && value != 1) return bad_field("EncodedContent.compression", "not deflate or gzip");
    out.compression = static_cast<Compression>(value);
  }
  out.content = to_bytes(proto->content());
  return out;
}

Result<SignedContent> decode_signed_content(ByteView bytes) {
  auto proto = parse_message<pb::SignedContent>(bytes, "SignedContent", kMaxContentSize);
  if (!proto) return fail(proto.error());
  if (!proto->has_sender()) return missing("SignedContent.sender");
  if (!proto->has_signature()) return missing("SignedContent.signature");
  auto sender = from_proto(proto->sender());
  if (!sender) return fail(context("SignedContent.sender", sender.error()));
  auto signature = from_proto(proto->signature());
  if (!signature) return fail(context("SignedContent.signature", signature.error()));
  return SignedContent{to_bytes(proto->payload()), std::move(*sender), *signature};
}

Bytes encode(const EncodedContent& content) {
  pb::EncodedContent proto;
  auto* type = proto.mutable_type();
  type->set_authority_id(content.type.authority_id);
  type->set_type_id(content.type.type_id);
  type->set_version_major(content.type.version_major);
  type->set_version_minor(content.type.version_minor);
  for (const auto& [key, value] : content.parameters) (*proto.mutable_parameters())[key] = value;
  if (content.fallback) proto.set_fallback(*content.fallback);
  if (content.compression) proto.set_compression(static_cast<pb::Compression>(*content.compression));
  proto.set_content(to_field(content.content));
  return serialize_message(proto);
}

Bytes encode(const SignedContent& content) {
  pb::SignedContent proto;
  proto.set_payload(to_field(content.payload));
  to_proto(content.sender, *proto.mutable_sender());
  to_proto(content.signature, *proto.mutable_signature());
  return serialize_message(proto);
}

}  // namespace keylink::wire::xmtp
