// xmtp_peer ops for V1 messages, content types, compression, self-encryption and private preferences
// (xmtp_messages.test.js). privateBundle is an encoded PrivateKeyBundle: V1 for the V1 message ops,
// V1 or V2 for the self-encryption ops (both hold the same identity key).
//   {"op":"seal_message_v1","privateBundle","recipient" (PublicKeyBundle),"payload","timestamp"} -> {"message"}
//   {"op":"open_message_v1","privateBundle","message"} -> {"payload","bytes","timestamp","senderWallet"}
//   {"op":"decode_content","bytes","maxSize"?} -> {"type","bytes" (re-encoded after inflating),
//        "fallback"?, "text"? | "reaction"? {reference,referenceInboxId?,action,schema,content} |
//        "reply"? {reference,referenceInboxId?,content (hex EncodedContent),text?}}
//   {"op":"encode_content","kind":"text"|"reaction"|"reply", "text"? | "reaction"? | "reply"? {reference,
//        referenceInboxId?,text}, "compression"?: 0|1} -> {"bytes"}
//   {"op":"self_encrypt","privateBundle","plaintext"} -> {"payload"} (a PrivatePreferencesPayload)
//   {"op":"self_decrypt","privateBundle","payload"} -> {"plaintext"}
//   {"op":"preferences_topic","privateBundle"} -> {"identifier"}
//   {"op":"reencode_preferences_action","bytes"} -> {"bytes","kind","entries"}
//   {"op":"encode_preferences_action","kind","entries"} -> {"bytes"}
#include <stdexcept>
#include <string>
#include <variant>

#include "keylink/base/encoding.h"
#include "keylink/crypto/xmtp/self_encryption.h"
#include "keylink/wire/errors.h"
#include "keylink/wire/xmtp/content.h"
#include "keylink/wire/xmtp/content_compression.h"
#include "keylink/wire/xmtp/content_types.h"
#include "keylink/wire/xmtp/message.h"
#include "keylink/wire/xmtp/message_v1.h"
#include "keylink/wire/xmtp/private_preferences.h"
#include "xmtp_peer.h"

namespace keylink::interop {
namespace {

wx::PrivateKeyBundleV1 private_bundle_v1(const json& request) {
  auto bundle = ok(wx::decode_private_key_bundle(hex_field(request, "privateBundle")));
  if (!std::holds_alternative<wx::PrivateKeyBundleV1>(bundle)) {
    throw Refused{Error{wire::make_error_code(wire::Errc::kBadVersion), "peer wants a V1 private bundle"}};
  }
  return std::move(std::get<wx::PrivateKeyBundleV1>(bundle));
}

// The identity key of either bundle version.
crypto::Secp256k1PrivateKey identity_key(const json& request) {
  auto bundle = ok(wx::decode_private_key_bundle(hex_field(request, "privateBundle")));
  return std::visit([](auto& b) { return std::move(b.identity_key.secret); }, bundle);
}

json seal_message_v1(const json& request, Rng& rng) {
  const auto mine = private_bundle_v1(request);
  const auto recipient = ok(wx::decode_public_key_bundle(hex_field(request, "recipient")));
  const auto message = ok(wx::seal_message_v1(mine, recipient, hex_field(request, "payload"),
                                              std::stoull(request.at("timestamp").get<std::string>()), rng));
  return {{"message", to_hex(wx::encode(message))}};
}

json open_message_v1(const json& request) {
  const auto mine = private_bundle_v1(request);
  const auto message = ok(wx::decode_message_v1(hex_field(request, "message")));
  const auto payload = ok(wx::open_message_v1(mine, message));
  return {{"payload", to_hex(payload)},
          {"bytes", to_hex(wx::encode(message))},
          {"timestamp", std::to_string(message.header.timestamp)},
          {"senderWallet", ok(wx::sender_wallet(message.header)).to_string()}};
}

const char* action_name(wx::ReactionAction action) {
  return action == wx::ReactionAction::kAdded ? "added" : "removed";
}

const char* schema_name(wx::ReactionSchema schema) {
  switch (schema) {
    case wx::ReactionSchema::kUnicode: return "unicode";
    case wx::ReactionSchema::kShortcode: return "shortcode";
    case wx::ReactionSchema::kCustom: return "custom";
  }
  return "?";
}

void put_inbox(json& out, const std::optional<std::string>& inbox) {
  if (inbox) out["referenceInboxId"] = *inbox;
}

json decode_content(const json& request) {
  auto content = ok(wx::decode_encoded_content(hex_field(request, "bytes")));
  const auto max_size = request.value("maxSize", static_cast<std::size_t>(wx::kMaxContentSize));
  content = ok(wx::decompress(std::move(content), max_size));
  json answer = {{"type", wx::to_string(content.type)}, {"bytes", to_hex(wx::encode(content))}};
  if (content.fallback) answer["fallback"] = *content.fallback;
  if (content.type.type_id == "text") {
    answer["text"] = ok(wx::decode_text(content));
  } else if (content.type.type_id == "reaction") {
    const auto reaction = ok(wx::decode_reaction(content));
    json out = {{"reference", reaction.reference},
                {"action", action_name(reaction.action)},
                {"schema", schema_name(reaction.schema)},
                {"content", reaction.content}};
    put_inbox(out, reaction.reference_inbox_id);
    answer["reaction"] = out;
  } else if (content.type.type_id == "reply") {
    const auto reply = ok(wx::decode_reply(content));
    json out = {{"reference", reply.reference}, {"content", to_hex(wx::encode(reply.content))}};
    put_inbox(out, reply.reference_inbox_id);
    if (auto text = wx::decode_text(reply.content)) out["text"] = *text;
    answer["reply"] = out;
  }
  return answer;
}

std::optional<std::string> optional_string(const json& object, const char* name) {
  if (!object.contains(name) || object.at(name).is_null()) return std::nullopt;
  return object.at(name).get<std::string>();
}

wx::ReactionAction action_from(const std::string& name) {
  if (name == "added") return wx::ReactionAction::kAdded;
  if (name == "removed") return wx::ReactionAction::kRemoved;
  throw std::invalid_argument("action " + name);
}

wx::ReactionSchema schema_from(const std::string& name) {
  if (name == "unicode") return wx::ReactionSchema::kUnicode;
  if (name == "shortcode") return wx::ReactionSchema::kShortcode;
  if (name == "custom") return wx::ReactionSchema::kCustom;
  throw std::invalid_argument("schema " + name);
}

json encode_content(const json& request) {
  const auto kind = request.at("kind").get<std::string>();
  wx::EncodedContent content;
  if (kind == "text") {
    content = wx::encode_text(request.at("text").get<std::string>());
  } else if (kind == "reaction") {
    const auto& r = request.at("reaction");
    content = wx::encode_reaction({r.at("reference").get<std::string>(), optional_string(r, "referenceInboxId"),
                                   action_from(r.at("action").get<std::string>()),
                                   schema_from(r.at("schema").get<std::string>()), r.at("content").get<std::string>()});
  } else if (kind == "reply") {
    const auto& r = request.at("reply");
    content = wx::encode_reply({r.at("reference").get<std::string>(), optional_string(r, "referenceInboxId"),
                                wx::encode_text(r.at("text").get<std::string>())});
  } else {
    throw std::invalid_argument("kind " + kind);
  }
  if (request.contains("compression")) {
    content = wx::compress(std::move(content), static_cast<wx::Compression>(request.at("compression").get<int>()));
  }
  return {{"bytes", to_hex(wx::encode(content))}};
}

const char* kind_name(wx::PreferenceKind kind) {
  switch (kind) {
    case wx::PreferenceKind::kAllowAddress: return "allowAddress";
    case wx::PreferenceKind::kDenyAddress: return "denyAddress";
    case wx::PreferenceKind::kAllowGroup: return "allowGroup";
    case wx::PreferenceKind::kDenyGroup: return "denyGroup";
    case wx::PreferenceKind::kAllowInboxId: return "allowInboxId";
    case wx::PreferenceKind::kDenyInboxId: return "denyInboxId";
  }
  return "?";
}

wx::PreferenceKind kind_from(const std::string& name) {
  for (int i = 1; i <= 6; ++i) {
    const auto kind = static_cast<wx::PreferenceKind>(i);
    if (name == kind_name(kind)) return kind;
  }
  throw std::invalid_argument("kind " + name);
}

json reencode_preferences_action(const json& request) {
  const auto action = ok(wx::decode_private_preferences_action(hex_field(request, "bytes")));
  return {{"bytes", to_hex(wx::encode(action))}, {"kind", kind_name(action.kind)}, {"entries", action.entries}};
}

json encode_preferences_action(const json& request) {
  const wx::PrivatePreferencesAction action{kind_from(request.at("kind").get<std::string>()),
                                            request.at("entries").get<std::vector<std::string>>()};
  return {{"bytes", to_hex(wx::encode(action))}};
}

}  // namespace

void add_message_ops(Ops& ops) {
  ops["seal_message_v1"] = seal_message_v1;
  ops["open_message_v1"] = [](const json& request, Rng&) { return open_message_v1(request); };
  ops["decode_content"] = [](const json& request, Rng&) { return decode_content(request); };
  ops["encode_content"] = [](const json& request, Rng&) { return encode_content(request); };
  ops["self_encrypt"] = [](const json& request, Rng& rng) -> json {
    return {
        {"payload", to_hex(wx::seal_private_preferences(identity_key(request), hex_field(request, "plaintext"), rng))}};
  };
  ops["self_decrypt"] = [](const json& request, Rng&) -> json {
    return {
        {"plaintext", to_hex(ok(wx::open_private_preferences(identity_key(request), hex_field(request, "payload"))))}};
  };
  ops["preferences_topic"] = [](const json& request, Rng&) -> json {
    return {{"identifier", crypto::xmtp::private_preferences_topic_identifier(identity_key(request))}};
  };
  ops["reencode_preferences_action"] = [](const json& request, Rng&) { return reencode_preferences_action(request); };
  ops["encode_preferences_action"] = [](const json& request, Rng&) { return encode_preferences_action(request); };
}

}  // namespace keylink::interop
