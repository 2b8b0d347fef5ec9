#include "keylink/wire/xmtp/invitation.h"

#include "convert.h"
#include "xmtp/message_contents/invitation.pb.h"

namespace keylink::wire::xmtp {

Result<InvitationV1> decode_invitation_v1(ByteView bytes) {
  auto proto = parse_message<pb::InvitationV1>(bytes, "InvitationV1", kMaxInvitationSize);
  if (!proto) return fail(proto.error());
  if (proto->topic().empty()) return missing("InvitationV1.topic");
  if (!proto->has_aes256_gcm_hkdf_sha256()) return missing("InvitationV1.aes256_gcm_hkdf_sha256");
  const std::string& key = proto->aes256_gcm_hkdf_sha256().key_material();
  if (key.size() != 32) return bad_field("InvitationV1.aes256_gcm_hkdf_sha256.key_material", "expected 32 bytes");
  InvitationV1 out{proto->topic(), proto->context().conversation_id(), {}, Secret<32>(as_bytes(key)), std::nullopt};
  out.metadata.insert(proto->context().metadata().begin(), proto->context().metadata().end());
  if (proto->has_consent_proof()) {
    const auto& proof = proto->consent_proof();
    out.consent_proof =
        ConsentProof{proof.signature(), proof.timestamp(), static_cast<std::uint32_t>(proof.payload_version())};
  }
  return out;
}

Result<SealedInvitationHeaderV1> decode_sealed_invitation_header_v1(ByteView bytes) {
  auto proto = parse_message<pb::SealedInvitationHeaderV1>(bytes, "SealedInvitationHeaderV1", kMaxInvitationSize);
  if (!proto) return fail(proto.error());
  if (!proto->has_sender()) return missing("SealedInvitationHeaderV1.sender");
  if (!proto->has_recipient()) return missing("SealedInvitationHeaderV1.recipient");
  auto sender = from_proto(proto->sender());
  if (!sender) return fail(context("SealedInvitationHeaderV1.sender", sender.error()));
  auto recipient = from_proto(proto->recipient());
  if (!recipient) return fail(context("SealedInvitationHeaderV1.recipient", recipient.error()));
  return SealedInvitationHeaderV1{std::move(*sender), std::move(*recipient), proto->created_ns()};
}

Result<SealedInvitation> decode_sealed_invitation(ByteView bytes) {
  auto proto = parse_message<pb::SealedInvitation>(bytes, "SealedInvitation", kMaxInvitationSize);
  if (!proto) return fail(proto.error());
  if (!proto->has_v1()) return missing("SealedInvitation.v1");
  const auto& v1 = proto->v1();
  if (v1.header_bytes().empty()) return missing("SealedInvitationV1.header_bytes");
  if (!v1.has_ciphertext()) return missing("SealedInvitationV1.ciphertext");
  auto header = decode_sealed_invitation_header_v1(as_bytes(v1.header_bytes()));
  if (!header) return fail(context("SealedInvitationV1.header_bytes", header.error()));
  auto ciphertext = from_proto(v1.ciphertext());
  if (!ciphertext) return fail(context("SealedInvitationV1.ciphertext", ciphertext.error()));
  return SealedInvitation{to_bytes(v1.header_bytes()), std::move(*header), std::move(*ciphertext)};
}

Result<SealedInvitation> decode_sealed_invitation(const Envelope& envelope) {
  auto sealed = decode_sealed_invitation(envelope.message);
  if (!sealed) return sealed;
  if (envelope.timestamp_ns == 0 || sealed->header.created_ns != envelope.timestamp_ns) {
    return fail(Errc::kMalformed, "SealedInvitationHeaderV1.created_ns: differs from the envelope timestamp_ns");
  }
  return sealed;
}

Bytes encode(const InvitationV1& invitation) {
  pb::InvitationV1 proto;
  proto.set_topic(invitation.topic);
  auto* context_proto = proto.mutable_context();
  context_proto->set_conversation_id(invitation.conversation_id);
  for (const auto& [key, value] : invitation.metadata) (*context_proto->mutable_metadata())[key] = value;
  proto.mutable_aes256_gcm_hkdf_sha256()->set_key_material(to_field(invitation.key_material.expose()));
  if (invitation.consent_proof) {
    auto* proof = proto.mutable_consent_proof();
    proof->set_signature(invitation.consent_proof->signature);
    proof->set_timestamp(invitation.consent_proof->timestamp);
    proof->set_payload_version(static_cast<pb::ConsentProofPayloadVersion>(invitation.consent_proof->payload_version));
  }
  return serialize_message(proto);
}

Bytes encode(const SealedInvitationHeaderV1& header) {
  pb::SealedInvitationHeaderV1 proto;
  to_proto(header.sender, *proto.mutable_sender());
  to_proto(header.recipient, *proto.mutable_recipient());
  proto.set_created_ns(header.created_ns);
  return serialize_message(proto);
}

Bytes encode(const SealedInvitation& invitation) {
  pb::SealedInvitation proto;
  auto* v1 = proto.mutable_v1();
  v1->set_header_bytes(to_field(invitation.header_bytes));
  to_proto(invitation.ciphertext, *v1->mutable_ciphertext());
  return serialize_message(proto);
}

}  // namespace keylink::wire::xmtp
