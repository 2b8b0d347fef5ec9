// The keystore RPCs' responses (keylink/wire/xmtp/keystore_api.h).
#include "keylink/wire/xmtp/keystore_api.h"

#include "keystore_api_convert.h"

namespace keylink::wire::xmtp::keystore_api {
namespace {

ErrorCode code_from(int value) {
  if (value == static_cast<int>(ErrorCode::kInvalidInput)) return ErrorCode::kInvalidInput;
  if (value == static_cast<int>(ErrorCode::kNoMatchingPrekey)) return ErrorCode::kNoMatchingPrekey;
  return ErrorCode::kUnspecified;
}

// Every batch response: a slot per item, its result or its KeystoreError.
template <class Proto, class T, class Fill>
Bytes encode_outcomes(std::span<const Outcome<T>> responses, Fill&& fill) {
  Proto proto;
  for (const auto& response : responses) {
    auto* slot = proto.add_responses();
    if (response) {
      fill(*response, *slot->mutable_result());
    } else {
      slot->mutable_error()->set_message(response.error().message);
      slot->mutable_error()->set_code(static_cast<kpb::ErrorCode>(response.error().code));
    }
  }
  return serialize_message(proto);
}

// A result that does not check out fails the whole answer: a wallet that writes one is broken.
template <class T, class Proto, class Read>
Result<std::vector<Outcome<T>>> decode_outcomes(ByteView bytes, std::string_view name, std::size_t max_items,
                                                Read&& read) {
  auto proto = parse_batch<Proto>(bytes, name, max_items);
  if (!proto) return fail(proto.error());
  std::vector<Outcome<T>> out;
  out.reserve(static_cast<std::size_t>(proto->responses_size()));
  const std::string field = std::string(name) + ".responses";
  for (int i = 0; i < proto->responses_size(); ++i) {
    const auto& slot = proto->responses(i);
    if (slot.has_result()) {
      auto value = read(slot.result());
      if (!value) return fail(item_error(field, static_cast<std::size_t>(i), std::move(value.error())));
      out.emplace_back(std::move(*value));
    } else if (slot.has_error()) {
      out.emplace_back(tl::unexpect, KeystoreError{slot.error().message(), code_from(slot.error().code())});
    } else {
      out.emplace_back(tl::unexpect,
                       KeystoreError{"the keystore gave neither a result nor an error", ErrorCode::kUnspecified});
    }
  }
  return out;
}

}  // namespace

Result<std::vector<Outcome<Bytes>>> decode_decrypt_response(ByteView bytes, std::size_t max_items) {
  return decode_outcomes<Bytes, kpb::DecryptResponse>(
      bytes, "DecryptResponse", max_items,
      [](const auto& result) -> Result<Bytes> { return to_bytes(result.decrypted()); });
}

Result<std::vector<Outcome<Encrypted>>> decode_encrypt_response(ByteView bytes, std::size_t max_items) {
  return decode_outcomes<Encrypted, kpb::EncryptResponse>(
      bytes, "EncryptResponse", max_items, [](const auto& result) -> Result<Encrypted> {
        if (!result.has_encrypted()) return missing("encrypted");
        auto encrypted = from_proto(result.encrypted());
        if (!encrypted) return fail(context("encrypted", encrypted.error()));
        return Encrypted{std::move(*encrypted), to_bytes(result.sender_hmac())};
      });
}

Result<std::vector<Outcome<Bytes>>> decode_self_encrypt_response(ByteView bytes, std::size_t max_items) {
  return decode_outcomes<Bytes, kpb::SelfEncryptResponse>(
      bytes, "SelfEncryptResponse", max_items,
      [](const auto& result) -> Result<Bytes> { return to_bytes(result.encrypted()); });
}

Result<std::vector<Outcome<ConversationReference>>> decode_save_invites_response(ByteView bytes,
                                                                                 std::size_t max_items) {
  return decode_outcomes<ConversationReference, kpb::SaveInvitesResponse>(
      bytes, "SaveInvitesResponse", max_items, [](const auto& result) -> Result<ConversationReference> {
        if (!result.has_conversation()) return missing("conversation");
        return from_proto(result.conversation());
      });
}

Result<std::vector<ConversationReference>> decode_get_conversations_response(ByteView bytes, std::size_t max_items) {
  auto proto = parse_batch<kpb::GetConversationsResponse>(bytes, "GetConversationsResponse", max_items);
  if (!proto) return fail(proto.error());
  std::vector<ConversationReference> out;
  out.reserve(static_cast<std::size_t>(proto->conversations_size()));
  for (const auto& conversation : proto->conversations()) out.push_back(from_proto(conversation));
  return out;
}

Result<HmacKeys> decode_get_conversation_hmac_keys_response(ByteView bytes, std::size_t max_items) {
  auto proto = parse_batch<kpb::GetConversationHmacKeysResponse>(bytes, "GetConversationHmacKeysResponse", max_items);
  if (!proto) return fail(proto.error());
  HmacKeys out;
  for (const auto& [topic, keys] : proto->hmac_keys()) {
    auto& mine = out[topic];
    for (const auto& key : keys.values()) {
      if (key.hmac_key().size() != 32) {
        return bad_field("GetConversationHmacKeysResponse.hmac_key",
                         "expected 32 bytes, got " + std::to_string(key.hmac_key().size()));
      }
      mine.push_back({key.thirty_day_periods_since_epoch(), Secret<32>(as_bytes(key.hmac_key()))});
    }
  }
  return out;
}

Result<CreateInviteResponse> decode_create_invite_response(ByteView bytes) {
  auto proto = parse_message<kpb::CreateInviteResponse>(bytes, "CreateInviteResponse", kMaxKeystoreMessageSize);
  if (!proto) return fail(proto.error());
  if (!proto->has_conversation()) return missing("CreateInviteResponse.conversation");
  return CreateInviteResponse{from_proto(proto->conversation()), to_bytes(proto->payload())};
}

Result<std::string> decode_get_private_preferences_topic_identifier_response(ByteView bytes) {
  auto proto = parse_message<kpb::GetPrivatePreferencesTopicIdentifierResponse>(
      bytes, "GetPrivatePreferencesTopicIdentifierResponse", kMaxKeyMessageSize);
  if (!proto) return fail(proto.error());
  return proto->identifier();
}

Result<std::int64_t> decode_get_refresh_job_response(ByteView bytes) {
  auto proto = parse_message<kpb::GetRefreshJobResponse>(bytes, "GetRefreshJobResponse", kMaxKeyMessageSize);
  if (!proto) return fail(proto.error());
  return proto->last_run_ns();
}

Result<KeystoreStatus> decode_get_keystore_status_response(ByteView bytes) {
  auto proto = parse_message<kpb::GetKeystoreStatusResponse>(bytes, "GetKeystoreStatusResponse", kMaxKeyMessageSize);
  if (!proto) return fail(proto.error());
  const int status = proto->status();
  if (status < 0 || status > static_cast<int>(KeystoreStatus::kInitialized)) {
    return bad_field("GetKeystoreStatusResponse.status", "unknown status " + std::to_string(status));
  }
  return static_cast<KeystoreStatus>(status);
}

Result<void> decode_empty_response(ByteView bytes) {
  auto proto = parse_message<kpb::SetRefreshJobResponse>(bytes, "empty response", kMaxKeyMessageSize);
  if (!proto) return fail(proto.error());
  return {};
}

Bytes encode_decrypt_response(std::span<const Outcome<Bytes>> responses) {
  return encode_outcomes<kpb::DecryptResponse>(
      responses, [](const Bytes& decrypted, auto& result) { result.set_decrypted(to_field(decrypted)); });
}

Bytes encode_encrypt_response(std::span<const Outcome<Encrypted>> responses) {
  return encode_outcomes<kpb::EncryptResponse>(responses, [](const Encrypted& encrypted, auto& result) {
    to_proto(encrypted.encrypted, *result.mutable_encrypted());
    result.set_sender_hmac(to_field(encrypted.sender_hmac));
  });
}

Bytes encode_self_encrypt_response(std::span<const Outcome<Bytes>> responses) {
  return encode_outcomes<kpb::SelfEncryptResponse>(
      responses, [](const Bytes& encrypted, auto& result) { result.set_encrypted(to_field(encrypted)); });
}

Bytes encode_save_invites_response(std::span<const Outcome<ConversationReference>> responses) {
  return encode_outcomes<kpb::SaveInvitesResponse>(responses,
                                                   [](const ConversationReference& conversation, auto& result) {
                                                     to_proto(conversation, *result.mutable_conversation());
                                                   });
}

Bytes encode_get_conversations_response(std::span<const ConversationReference> conversations) {
  kpb::GetConversationsResponse proto;
  for (const auto& conversation : conversations) to_proto(conversation, *proto.add_conversations());
  return serialize_message(proto);
}

Bytes encode_get_conversation_hmac_keys_response(const HmacKeys& keys) {
  kpb::GetConversationHmacKeysResponse proto;
  for (const auto& [topic, values] : keys) {
    auto& mine = (*proto.mutable_hmac_keys())[topic];
    for (const auto& value : values) {
      auto* data = mine.add_values();
      data->set_thirty_day_periods_since_epoch(value.thirty_day_periods_since_epoch);
      data->set_hmac_key(to_field(value.hmac_key.expose()));
    }
  }
  return serialize_message(proto);
}

Bytes encode_create_invite_response(const CreateInviteResponse& response) {
  kpb::CreateInviteResponse proto;
  to_proto(response.conversation, *proto.mutable_conversation());
  proto.set_payload(to_field(response.payload));
  return serialize_message(proto);
}

Bytes encode_get_private_preferences_topic_identifier_response(std::string_view identifier) {
  kpb::GetPrivatePreferencesTopicIdentifierResponse proto;
  proto.set_identifier(std::string(identifier));
  return serialize_message(proto);
}

Bytes encode_get_refresh_job_response(std::int64_t last_run_ns) {
  kpb::GetRefreshJobResponse proto;
  proto.set_last_run_ns(last_run_ns);
  return serialize_message(proto);
}

Bytes encode_get_keystore_status_response(KeystoreStatus status) {
  kpb::GetKeystoreStatusResponse proto;
  proto.set_status(static_cast<kpb::GetKeystoreStatusResponse_KeystoreStatus>(status));
  return serialize_message(proto);
}

}  // namespace keylink::wire::xmtp::keystore_api
