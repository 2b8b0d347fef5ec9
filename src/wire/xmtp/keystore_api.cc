// The keystore RPCs' requests (keylink/wire/xmtp/keystore_api.h).
#include "keylink/wire/xmtp/keystore_api.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include "keystore_api_convert.h"

namespace keylink::wire::xmtp::keystore_api {

Result<void> check_batch(ByteView bytes, std::string_view name, std::size_t max_items) {
  if (bytes.size() > kMaxKeystoreMessageSize) {
    return fail(Errc::kTooLarge, std::string(name) + ": " + std::to_string(bytes.size()) + " bytes, over the " +
                                     std::to_string(kMaxKeystoreMessageSize) + "-byte limit");
  }
  google::protobuf::io::CodedInputStream in(bytes.data(), static_cast<int>(bytes.size()));
  constexpr std::uint32_t kItemTag = (1 << 3) | 2;  // field 1, length-delimited
  std::size_t count = 0;
  while (const std::uint32_t tag = in.ReadTag()) {
    if (tag == kItemTag && ++count > max_items) {
      return fail(Errc::kTooLarge, std::string(name) + ": more than " + std::to_string(max_items) + " items");
    }
    if (!google::protobuf::internal::WireFormatLite::SkipField(&in, tag)) break;  // the parse says why
  }
  return {};
}

ConversationReference from_proto(const pb::ConversationReference& proto) {
  ConversationReference out{proto.topic(), proto.peer_address(), proto.created_ns(), {}, {}};
  if (proto.has_context()) {
    out.conversation_id = proto.context().conversation_id();
    out.metadata.insert(proto.context().metadata().begin(), proto.context().metadata().end());
  }
  return out;
}

void to_proto(const ConversationReference& value, pb::ConversationReference& proto) {
  proto.set_topic(value.topic);
  proto.set_peer_address(value.peer_address);
  proto.set_created_ns(value.created_ns);
  if (!value.conversation_id.empty() || !value.metadata.empty()) {
    auto* context = proto.mutable_context();
    context->set_conversation_id(value.conversation_id);
    context->mutable_metadata()->insert(value.metadata.begin(), value.metadata.end());
  }
}

namespace {

// Every batch request: parse, then each item alone.
template <class Proto, class Read>
auto decode_items(ByteView bytes, std::string_view name, std::size_t max_items, Read&& read)
    -> Result<DecodedBatch<typename decltype(read(std::declval<Proto>().requests(0)))::value_type>> {
  using Item = typename decltype(read(std::declval<Proto>().requests(0)))::value_type;
  auto proto = parse_batch<Proto>(bytes, name, max_items);
  if (!proto) return fail(proto.error());
  DecodedBatch<Item> out;
  out.reserve(static_cast<std::size_t>(proto->requests_size()));  // at most max_items: counted above
  const std::string field = std::string(name) + ".requests";
  for (int i = 0; i < proto->requests_size(); ++i) {
    auto item = read(proto->requests(i));
    if (item) {
      out.emplace_back(std::move(*item));
    } else {
      out.emplace_back(fail(item_error(field, static_cast<std::size_t>(i), std::move(item.error()))));
    }
  }
  return out;
}

template <class Value, class Proto>
Result<Value> required(bool present, const Proto& proto, std::string_view field) {
  if (!present) return missing(field);
  auto value = from_proto(proto);
  if (!value) return fail(context(field, value.error()));
  return value;
}

Result<DecryptV1Item> read_item(const kpb::DecryptV1Request_Request& proto) {
  auto payload = required<Ciphertext>(proto.has_payload(), proto.payload(), "payload");
  if (!payload) return fail(payload.error());
  auto peer_keys = required<PublicKeyBundle>(proto.has_peer_keys(), proto.peer_keys(), "peer_keys");
  if (!peer_keys) return fail(peer_keys.error());
  return DecryptV1Item{std::move(*payload), std::move(*peer_keys), to_bytes(proto.header_bytes()), proto.is_sender()};
}

Result<DecryptV2Item> read_item(const kpb::DecryptV2Request_Request& proto) {
  auto payload = required<Ciphertext>(proto.has_payload(), proto.payload(), "payload");
  if (!payload) return fail(payload.error());
  return DecryptV2Item{std::move(*payload), to_bytes(proto.header_bytes()), proto.content_topic()};
}

Result<EncryptV1Item> read_item(const kpb::EncryptV1Request_Request& proto) {
  auto recipient = required<PublicKeyBundle>(proto.has_recipient(), proto.recipient(), "recipient");
  if (!recipient) return fail(recipient.error());
  return EncryptV1Item{std::move(*recipient), to_bytes(proto.payload()), to_bytes(proto.header_bytes())};
}

Result<EncryptV2Item> read_item(const kpb::EncryptV2Request_Request& proto) {
  return EncryptV2Item{to_bytes(proto.payload()), to_bytes(proto.header_bytes()), proto.content_topic()};
}

Result<SaveInviteItem> read_item(const kpb::SaveInvitesRequest_Request& proto) {
  return SaveInviteItem{proto.content_topic(), proto.timestamp_ns(), to_bytes(proto.payload())};
}

template <class Proto>
Result<Bytes> read_payload(const Proto& proto) {
  return to_bytes(proto.payload());
}

}  // namespace

Result<DecodedBatch<DecryptV1Item>> decode_decrypt_v1_request(ByteView bytes, std::size_t max_items) {
  return decode_items<kpb::DecryptV1Request>(bytes, "DecryptV1Request", max_items,
                                             [](const auto& item) { return read_item(item); });
}

Result<DecodedBatch<DecryptV2Item>> decode_decrypt_v2_request(ByteView bytes, std::size_t max_items) {
  return decode_items<kpb::DecryptV2Request>(bytes, "DecryptV2Request", max_items,
                                             [](const auto& item) { return read_item(item); });
}

Result<DecodedBatch<EncryptV1Item>> decode_encrypt_v1_request(ByteView bytes, std::size_t max_items) {
  return decode_items<kpb::EncryptV1Request>(bytes, "EncryptV1Request", max_items,
                                             [](const auto& item) { return read_item(item); });
}

Result<DecodedBatch<EncryptV2Item>> decode_encrypt_v2_request(ByteView bytes, std::size_t max_items) {
  return decode_items<kpb::EncryptV2Request>(bytes, "EncryptV2Request", max_items,
                                             [](const auto& item) { return read_item(item); });
}

Result<DecodedBatch<SaveInviteItem>> decode_save_invites_request(ByteView bytes, std::size_t max_items) {
  return decode_items<kpb::SaveInvitesRequest>(bytes, "SaveInvitesRequest", max_items,
                                               [](const auto& item) { return read_item(item); });
}

Result<DecodedBatch<Bytes>> decode_self_encrypt_request(ByteView bytes, std::size_t max_items) {
  return decode_items<kpb::SelfEncryptRequest>(bytes, "SelfEncryptRequest", max_items,
                                               [](const auto& item) { return read_payload(item); });
}

Result<DecodedBatch<Bytes>> decode_self_decrypt_request(ByteView bytes, std::size_t max_items) {
  return decode_items<kpb::SelfDecryptRequest>(bytes, "SelfDecryptRequest", max_items,
                                               [](const auto& item) { return read_payload(item); });
}

Result<std::vector<ConversationReference>> decode_save_v1_conversations_request(ByteView bytes, std::size_t max_items) {
  auto proto = parse_batch<kpb::SaveV1ConversationsRequest>(bytes, "SaveV1ConversationsRequest", max_items);
  if (!proto) return fail(proto.error());
  std::vector<ConversationReference> out;
  out.reserve(static_cast<std::size_t>(proto->conversations_size()));
  for (const auto& conversation : proto->conversations()) out.push_back(from_proto(conversation));
  return out;
}

Result<std::vector<std::string>> decode_get_conversation_hmac_keys_request(ByteView bytes, std::size_t max_items) {
  auto proto = parse_batch<kpb::GetConversationHmacKeysRequest>(bytes, "GetConversationHmacKeysRequest", max_items);
  if (!proto) return fail(proto.error());
  return std::vector<std::string>(proto->topics().begin(), proto->topics().end());
}

Result<CreateInviteRequest> decode_create_invite_request(ByteView bytes) {
  auto proto = parse_message<kpb::CreateInviteRequest>(bytes, "CreateInviteRequest", kMaxKeystoreMessageSize);
  if (!proto) return fail(proto.error());
  auto recipient =
      required<SignedPublicKeyBundle>(proto->has_recipient(), proto->recipient(), "CreateInviteRequest.recipient");
  if (!recipient) return fail(recipient.error());
  CreateInviteRequest out{proto->context().conversation_id(), {}, std::move(*recipient), proto->created_ns()};
  out.metadata.insert(proto->context().metadata().begin(), proto->context().metadata().end());
  return out;
}

Result<std::optional<std::uint64_t>> decode_create_auth_token_request(ByteView bytes) {
  auto proto = parse_message<kpb::CreateAuthTokenRequest>(bytes, "CreateAuthTokenRequest", kMaxKeyMessageSize);
  if (!proto) return fail(proto.error());
  if (!proto->has_timestamp_ns()) return std::optional<std::uint64_t>();
  return std::optional<std::uint64_t>(proto->timestamp_ns());
}

Result<SignDigestRequest> decode_sign_digest_request(ByteView bytes) {
  auto proto = parse_message<kpb::SignDigestRequest>(bytes, "SignDigestRequest", kMaxKeyMessageSize);
  if (!proto) return fail(proto.error());
  if (proto->digest().size() != 32) {
    return bad_field("SignDigestRequest.digest", "expected 32 bytes, got " + std::to_string(proto->digest().size()));
  }
  SignDigestRequest out{to_bytes(proto->digest()), std::nullopt, std::nullopt};
  if (proto->has_identity_key()) out.identity_key = proto->identity_key();
  if (proto->has_prekey_index()) out.prekey_index = proto->prekey_index();
  return out;
}

namespace {

Result<JobType> job_type_from(int value, std::string_view field) {
  if (value < 0 || value > static_cast<int>(JobType::kRefreshPppp)) {
    return bad_field(field, "unknown job type " + std::to_string(value));
  }
  return static_cast<JobType>(value);
}

}  // namespace

Result<JobType> decode_get_refresh_job_request(ByteView bytes) {
  auto proto = parse_message<kpb::GetRefreshJobRequest>(bytes, "GetRefreshJobRequest", kMaxKeyMessageSize);
  if (!proto) return fail(proto.error());
  return job_type_from(proto->job_type(), "GetRefreshJobRequest.job_type");
}

Result<SetRefreshJobRequest> decode_set_refresh_job_request(ByteView bytes) {
  auto proto = parse_message<kpb::SetRefeshJobRequest>(bytes, "SetRefeshJobRequest", kMaxKeyMessageSize);
  if (!proto) return fail(proto.error());
  auto job_type = job_type_from(proto->job_type(), "SetRefeshJobRequest.job_type");
  if (!job_type) return fail(job_type.error());
  return SetRefreshJobRequest{*job_type, proto->last_run_ns()};
}

Result<std::string> decode_get_keystore_status_request(ByteView bytes) {
  auto proto = parse_message<kpb::GetKeystoreStatusRequest>(bytes, "GetKeystoreStatusRequest", kMaxKeyMessageSize);
  if (!proto) return fail(proto.error());
  return proto->wallet_address();
}

Bytes encode_decrypt_v1_request(std::span<const DecryptV1Item> items) {
  kpb::DecryptV1Request proto;
  for (const auto& item : items) {
    auto* request = proto.add_requests();
    to_proto(item.payload, *request->mutable_payload());
    to_proto(item.peer_keys, *request->mutable_peer_keys());
    request->set_header_bytes(to_field(item.header_bytes));
    request->set_is_sender(item.is_sender);
  }
  return serialize_message(proto);
}

Bytes encode_decrypt_v2_request(std::span<const DecryptV2Item> items) {
  kpb::DecryptV2Request proto;
  for (const auto& item : items) {
    auto* request = proto.add_requests();
    to_proto(item.payload, *request->mutable_payload());
    request->set_header_bytes(to_field(item.header_bytes));
    request->set_content_topic(item.content_topic);
  }
  return serialize_message(proto);
}

Bytes encode_encrypt_v1_request(std::span<const EncryptV1Item> items) {
  kpb::EncryptV1Request proto;
  for (const auto& item : items) {
    auto* request = proto.add_requests();
    to_proto(item.recipient, *request->mutable_recipient());
    request->set_payload(to_field(item.payload));
    request->set_header_bytes(to_field(item.header_bytes));
  }
  return serialize_message(proto);
}

Bytes encode_encrypt_v2_request(std::span<const EncryptV2Item> items) {
  kpb::EncryptV2Request proto;
  for (const auto& item : items) {
    auto* request = proto.add_requests();
    request->set_payload(to_field(item.payload));
    request->set_header_bytes(to_field(item.header_bytes));
    request->set_content_topic(item.content_topic);
  }
  return serialize_message(proto);
}

Bytes encode_save_invites_request(std::span<const SaveInviteItem> items) {
  kpb::SaveInvitesRequest proto;
  for (const auto& item : items) {
    auto* request = proto.add_requests();
    request->set_content_topic(item.content_topic);
    request->set_timestamp_ns(item.timestamp_ns);
    request->set_payload(to_field(item.payload));
  }
  return serialize_message(proto);
}

namespace {

template <class Proto>
Bytes encode_payloads(std::span<const Bytes> payloads) {
  Proto proto;
  for (const auto& payload : payloads) proto.add_requests()->set_payload(to_field(payload));
  return serialize_message(proto);
}

}  // namespace

Bytes encode_self_encrypt_request(std::span<const Bytes> payloads) {
  return encode_payloads<kpb::SelfEncryptRequest>(payloads);
}

Bytes encode_self_decrypt_request(std::span<const Bytes> payloads) {
  return encode_payloads<kpb::SelfDecryptRequest>(payloads);
}

Bytes encode_save_v1_conversations_request(std::span<const ConversationReference> conversations) {
  kpb::SaveV1ConversationsRequest proto;
  for (const auto& conversation : conversations) to_proto(conversation, *proto.add_conversations());
  return serialize_message(proto);
}

Bytes encode_get_conversation_hmac_keys_request(std::span<const std::string> topics) {
  kpb::GetConversationHmacKeysRequest proto;
  for (const auto& topic : topics) proto.add_topics(topic);
  return serialize_message(proto);
}

Bytes encode_create_invite_request(const CreateInviteRequest& request) {
  kpb::CreateInviteRequest proto;
  auto* context = proto.mutable_context();
  context->set_conversation_id(request.conversation_id);
  context->mutable_metadata()->insert(request.metadata.begin(), request.metadata.end());
  to_proto(request.recipient, *proto.mutable_recipient());
  proto.set_created_ns(request.created_ns);
  return serialize_message(proto);
}

Bytes encode_create_auth_token_request(std::optional<std::uint64_t> timestamp_ns) {
  kpb::CreateAuthTokenRequest proto;
  if (timestamp_ns) proto.set_timestamp_ns(*timestamp_ns);
  return serialize_message(proto);
}

Bytes encode_sign_digest_request(const SignDigestRequest& request) {
  kpb::SignDigestRequest proto;
  proto.set_digest(to_field(request.digest));
  if (request.identity_key) proto.set_identity_key(*request.identity_key);
  if (request.prekey_index) proto.set_prekey_index(*request.prekey_index);
  return serialize_message(proto);
}

Bytes encode_get_refresh_job_request(JobType job_type) {
  kpb::GetRefreshJobRequest proto;
  proto.set_job_type(static_cast<kpb::JobType>(job_type));
  return serialize_message(proto);
}

Bytes encode_set_refresh_job_request(const SetRefreshJobRequest& request) {
  kpb::SetRefeshJobRequest proto;
  proto.set_job_type(static_cast<kpb::JobType>(request.job_type));
  proto.set_last_run_ns(request.last_run_ns);
  return serialize_message(proto);
}

Bytes encode_get_keystore_status_request(std::string_view wallet_address) {
  kpb::GetKeystoreStatusRequest proto;
  proto.set_wallet_address(std::string(wallet_address));
  return serialize_message(proto);
}

}  // namespace keylink::wire::xmtp::keystore_api
