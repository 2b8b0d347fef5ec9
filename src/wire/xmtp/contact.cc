#include "keylink/wire/xmtp/contact.h"

#include "convert.h"
#include "xmtp/message_contents/contact.pb.h"

namespace keylink::wire::xmtp {

namespace {

Result<ContactBundle> from_contact_proto(ByteView bytes) {
  auto proto = parse_message<pb::ContactBundle>(bytes, "ContactBundle", kMaxKeyMessageSize);
  if (!proto) return fail(proto.error());
  if (proto->has_v2()) {
    if (!proto->v2().has_key_bundle()) return missing("ContactBundleV2.key_bundle");
    auto bundle = from_proto(proto->v2().key_bundle());
    if (!bundle) return fail(context("ContactBundleV2.key_bundle", bundle.error()));
    return ContactBundle(std::move(*bundle));
  }
  if (!proto->has_v1()) return missing("ContactBundle.version");
  if (!proto->v1().has_key_bundle()) return missing("ContactBundleV1.key_bundle");
  auto bundle = from_proto(proto->v1().key_bundle());
  if (!bundle) return fail(context("ContactBundleV1.key_bundle", bundle.error()));
  return ContactBundle(std::move(*bundle));
}

}  // namespace

Result<ContactBundle> decode_contact_bundle(ByteView bytes) {
  auto contact = from_contact_proto(bytes);
  if (contact) return contact;
  // xmtp-js contact.ts: the first clients published the PublicKeyBundle itself.
  auto legacy = decode_public_key_bundle(bytes);
  if (legacy) return ContactBundle(std::move(*legacy));
  return contact;
}

Bytes encode(const ContactBundle& bundle) {
  pb::ContactBundle proto;
  if (const auto* v1 = std::get_if<PublicKeyBundle>(&bundle)) {
    to_proto(*v1, *proto.mutable_v1()->mutable_key_bundle());
  } else {
    to_proto(std::get<SignedPublicKeyBundle>(bundle), *proto.mutable_v2()->mutable_key_bundle());
  }
  return serialize_message(proto);
}

}  // namespace keylink::wire::xmtp
