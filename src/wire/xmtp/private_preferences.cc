#include "keylink/wire/xmtp/private_preferences.h"

#include <algorithm>
#include <cctype>

#include "convert.h"
#include "keylink/crypto/xmtp/self_encryption.h"
#include "xmtp/message_contents/private_preferences.pb.h"

namespace keylink::wire::xmtp {
namespace {

using Action = pb::PrivatePreferencesAction;

bool is_address(const std::string& text) {
  return text.size() == 42 && text[0] == '0' && text[1] == 'x' &&
         std::all_of(text.begin() + 2, text.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

bool holds_addresses(PreferenceKind kind) {
  return kind == PreferenceKind::kAllowAddress || kind == PreferenceKind::kDenyAddress;
}

template <class List>
std::vector<std::string> entries_of(const List& list) {
  return {list.begin(), list.end()};
}

// The list of the action's kind; nullopt when the oneof is unset.
std::optional<std::vector<std::string>> entries_of(const Action& proto) {
  switch (proto.message_type_case()) {
    case Action::kAllowAddress: return entries_of(proto.allow_address().wallet_addresses());
    case Action::kDenyAddress: return entries_of(proto.deny_address().wallet_addresses());
    case Action::kAllowGroup: return entries_of(proto.allow_group().group_ids());
    case Action::kDenyGroup: return entries_of(proto.deny_group().group_ids());
    case Action::kAllowInboxId: return entries_of(proto.allow_inbox_id().inbox_ids());
    case Action::kDenyInboxId: return entries_of(proto.deny_inbox_id().inbox_ids());
    case Action::MESSAGE_TYPE_NOT_SET: break;
  }
  return std::nullopt;
}

google::protobuf::RepeatedPtrField<std::string>& list_of(Action& proto, PreferenceKind kind) {
  switch (kind) {
    case PreferenceKind::kAllowAddress: return *proto.mutable_allow_address()->mutable_wallet_addresses();
    case PreferenceKind::kDenyAddress: return *proto.mutable_deny_address()->mutable_wallet_addresses();
    case PreferenceKind::kAllowGroup: return *proto.mutable_allow_group()->mutable_group_ids();
    case PreferenceKind::kDenyGroup: return *proto.mutable_deny_group()->mutable_group_ids();
    case PreferenceKind::kAllowInboxId: return *proto.mutable_allow_inbox_id()->mutable_inbox_ids();
    case PreferenceKind::kDenyInboxId: return *proto.mutable_deny_inbox_id()->mutable_inbox_ids();
  }
  KEYLINK_CHECK(false && "unknown PreferenceKind");
  return *proto.mutable_allow_address()->mutable_wallet_addresses();
}

}  // namespace

Result<PrivatePreferencesAction> decode_private_preferences_action(ByteView bytes) {
  auto proto = parse_message<Action>(bytes, "PrivatePreferencesAction", kMaxPrivatePreferencesSize);
  if (!proto) return fail(proto.error());
  auto entries = entries_of(*proto);
  if (!entries) return missing("PrivatePreferencesAction.message_type");
  // The oneof cases are numbered as the fields, and PreferenceKind as the oneof.
  const auto kind = static_cast<PreferenceKind>(proto->message_type_case());
  if (holds_addresses(kind) && !std::all_of(entries->begin(), entries->end(), is_address)) {
    return bad_field("PrivatePreferencesAction.wallet_addresses", "not an address (\"0x\" + 40 hex digits)");
  }
  return PrivatePreferencesAction{kind, std::move(*entries)};
}

Bytes encode(const PrivatePreferencesAction& action) {
  Action proto;
  auto& list = list_of(proto, action.kind);
  for (const auto& entry : action.entries) list.Add(std::string(entry));
  return serialize_message(proto);
}

Result<Ciphertext> decode_private_preferences_payload(ByteView bytes) {
  auto proto =
      parse_message<pb::PrivatePreferencesPayload>(bytes, "PrivatePreferencesPayload", kMaxPrivatePreferencesSize);
  if (!proto) return fail(proto.error());
  if (!proto->has_v1()) return missing("PrivatePreferencesPayload.v1");
  auto ciphertext = from_proto(proto->v1());
  if (!ciphertext) return fail(context("PrivatePreferencesPayload.v1", ciphertext.error()));
  return ciphertext;
}

Bytes encode_private_preferences_payload(const Ciphertext& ciphertext) {
  pb::PrivatePreferencesPayload proto;
  to_proto(ciphertext, *proto.mutable_v1());
  return serialize_message(proto);
}

Bytes seal_private_preferences(const crypto::Secp256k1PrivateKey& identity_key, ByteView plaintext, Rng& rng) {
  return encode_private_preferences_payload(crypto::xmtp::self_encrypt(identity_key, plaintext, rng));
}

Result<Bytes> open_private_preferences(const crypto::Secp256k1PrivateKey& identity_key, ByteView payload) {
  auto ciphertext = decode_private_preferences_payload(payload);
  if (!ciphertext) return fail(ciphertext.error());
  return crypto::xmtp::self_decrypt(identity_key, *ciphertext);
}

}  // namespace keylink::wire::xmtp
