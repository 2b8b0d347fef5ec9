#include "keylink/wire/xmtp/content_types.h"

#include <nlohmann/json.hpp>

#include "keylink/wire/errors.h"

namespace keylink::wire::xmtp {
namespace {

using OrderedJson = nlohmann::ordered_json;

constexpr std::string_view kAuthority = "xmtp.org";
constexpr char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD

// The WHATWG UTF-8 decoder (TextDecoder's default): a leading BOM is dropped and each maximal invalid
// subpart becomes one U+FFFD.
std::string utf8_decode(ByteView in) {
  std::size_t i = 0;
  if (in.size() >= 3 && in[0] == 0xEF && in[1] == 0xBB && in[2] == 0xBF) i = 3;
  std::string out;
  out.reserve(in.size() - i);
  while (i < in.size()) {
    const std::uint8_t lead = in[i];
    if (lead < 0x80) {
      out.push_back(static_cast<char>(lead));
      ++i;
      continue;
    }
    int needed = 0;
    std::uint8_t lower = 0x80, upper = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      needed = 1;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      needed = 2;
      if (lead == 0xE0) lower = 0xA0;
      if (lead == 0xED) upper = 0x9F;  // no surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      needed = 3;
      if (lead == 0xF0) lower = 0x90;
      if (lead == 0xF4) upper = 0x8F;  // nothing above U+10FFFF
    } else {
      out += kReplacement;
      ++i;
      continue;
    }
    std::size_t next = i + 1;
    int seen = 0;
    while (seen < needed && next < in.size() && in[next] >= lower && in[next] <= upper) {
      lower = 0x80;
      upper = 0xBF;
      ++next;
      ++seen;
    }
    if (seen == needed) {
      out.append(as_chars(in.subspan(i, next - i)));
    } else {
      out += kReplacement;  // the byte that broke the sequence is read again
    }
    i = next;
  }
  return out;
}

// xmtp-js Client.codecFor: same authority and type, a major version we know.
Result<void> expect_type(const EncodedContent& content, const ContentTypeId& ours) {
  const auto& type = content.type;
  if (type.authority_id != ours.authority_id || type.type_id != ours.type_id ||
      type.version_major > ours.version_major) {
    return fail(Errc::kBadVersion, "EncodedContent: " + to_string(type) + " where " + to_string(ours) + " belongs");
  }
  return {};
}

std::optional<std::string> parameter(const EncodedContent& content, const std::string& name) {
  const auto found = content.parameters.find(name);
  if (found == content.parameters.end()) return std::nullopt;
  return found->second;
}

std::string_view action_name(ReactionAction action) { return action == ReactionAction::kAdded ? "added" : "removed"; }

std::string_view schema_name(ReactionSchema schema) {
  switch (schema) {
    case ReactionSchema::kUnicode: return "unicode";
    case ReactionSchema::kShortcode: return "shortcode";
    case ReactionSchema::kCustom: return "custom";
  }
  return "unicode";
}

Result<ReactionAction> action_from(const std::optional<std::string>& name) {
  if (!name) return fail(Errc::kMalformed, "Reaction.action: missing");
  if (*name == "added") return ReactionAction::kAdded;
  if (*name == "removed") return ReactionAction::kRemoved;
  return fail(Errc::kMalformed, "Reaction.action: not \"added\" or \"removed\"");
}

Result<ReactionSchema> schema_from(const std::optional<std::string>& name) {
  if (!name) return fail(Errc::kMalformed, "Reaction.schema: missing");
  if (*name == "unicode") return ReactionSchema::kUnicode;
  if (*name == "shortcode") return ReactionSchema::kShortcode;
  if (*name == "custom") return ReactionSchema::kCustom;
  return fail(Errc::kMalformed, "Reaction.schema: not \"unicode\", \"shortcode\" or \"custom\"");
}

// A JSON member that must be a string when present; null counts as absent (as JS destructuring gives).
Result<std::optional<std::string>> string_member(const OrderedJson& object, const char* name) {
  const auto found = object.find(name);
  if (found == object.end() || found->is_null()) return std::optional<std::string>();
  if (!found->is_string()) return fail(Errc::kMalformed, std::string("Reaction.") + name + ": not a string");
  return std::optional<std::string>(found->get<std::string>());
}

struct ReactionFields {
  std::optional<std::string> action, reference, reference_inbox_id, schema, content;
};

Result<Reaction> reaction_from(const ReactionFields& fields) {
  auto action = action_from(fields.action);
  if (!action) return fail(action.error());
  auto schema = schema_from(fields.schema);
  if (!schema) return fail(schema.error());
  if (!fields.reference) return fail(Errc::kMalformed, "Reaction.reference: missing");
  if (!fields.content) return fail(Errc::kMalformed, "Reaction.content: missing");
  return Reaction{*fields.reference, fields.reference_inbox_id, *action, *schema, *fields.content};
}

// The canonical form: the content is a JSON object. nullopt when it is not one (the JS codec then falls
// back to the legacy form).
std::optional<Result<ReactionFields>> canonical_fields(const std::string& text) {
  const auto parsed = OrderedJson::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) return std::nullopt;
  ReactionFields fields;
  for (auto [name, slot] : {std::pair{"action", &fields.action}, std::pair{"reference", &fields.reference},
                            std::pair{"referenceInboxId", &fields.reference_inbox_id},
                            std::pair{"schema", &fields.schema}, std::pair{"content", &fields.content}}) {
    auto value = string_member(parsed, name);
    if (!value) return Result<ReactionFields>(fail(value.error()));
    *slot = std::move(*value);
  }
  return Result<ReactionFields>(std::move(fields));
}

}  // namespace

ContentTypeId text_content_type() { return {std::string(kAuthority), "text", 1, 0}; }
ContentTypeId reaction_content_type() { return {std::string(kAuthority), "reaction", 1, 0}; }
ContentTypeId reply_content_type() { return {std::string(kAuthority), "reply", 1, 0}; }

std::string to_string(const ContentTypeId& type) {
  return type.authority_id + "/" + type.type_id + ":" + std::to_string(type.version_major) + "." +
         std::to_string(type.version_minor);
}

EncodedContent encode_text(std::string_view text) {
  EncodedContent out;
  out.type = text_content_type();
  out.parameters.emplace("encoding", "UTF-8");
  out.content = to_bytes(text);
  return out;
}

Result<std::string> decode_text(const EncodedContent& content) {
  if (auto checked = expect_type(content, text_content_type()); !checked) return fail(checked.error());
  if (parameter(content, "encoding") != "UTF-8") {
    return fail(Errc::kMalformed, "text content: the encoding parameter is not \"UTF-8\"");
  }
  return utf8_decode(content.content);
}

EncodedContent encode_reaction(const Reaction& reaction) {
  // JSON.stringify of {action, reference, referenceInboxId, schema, content}: keys in that order, an
  // undefined referenceInboxId left out, non-ASCII written as UTF-8.
  OrderedJson json;
  json["action"] = action_name(reaction.action);
  json["reference"] = reaction.reference;
  if (reaction.reference_inbox_id) json["referenceInboxId"] = *reaction.reference_inbox_id;
  json["schema"] = schema_name(reaction.schema);
  json["content"] = reaction.content;
  EncodedContent out;
  out.type = reaction_content_type();
  out.content = to_bytes(json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  out.fallback = reaction.action == ReactionAction::kAdded
                     ? "Reacted \xE2\x80\x9C" + reaction.content + "\xE2\x80\x9D to an earlier message"
                     : "Removed \xE2\x80\x9C" + reaction.content + "\xE2\x80\x9D from an earlier message";
  return out;
}

Result<Reaction> decode_reaction(const EncodedContent& content) {
  if (auto checked = expect_type(content, reaction_content_type()); !checked) return fail(checked.error());
  const std::string text = utf8_decode(content.content);
  if (auto fields = canonical_fields(text)) {
    if (!*fields) return fail((*fields).error());
    return reaction_from(**fields);
  }
  // The legacy form: the text is the reaction, the rest are parameters.
  return reaction_from(ReactionFields{parameter(content, "action"), parameter(content, "reference"), std::nullopt,
                                      parameter(content, "schema"), text});
}

EncodedContent encode_reply(const Reply& reply) {
  EncodedContent out;
  out.type = reply_content_type();
  out.parameters.emplace("contentType", to_string(reply.content.type));
  out.parameters.emplace("reference", reply.reference);
  // The JS codec leaves out an empty referenceInboxId as well as a missing one.
  if (reply.reference_inbox_id && !reply.reference_inbox_id->empty()) {
    out.parameters.emplace("referenceInboxId", *reply.reference_inbox_id);
  }
  out.content = encode(reply.content);
  auto text = decode_text(reply.content);
  out.fallback = text ? "Replied with \xE2\x80\x9C" + *text + "\xE2\x80\x9D to an earlier message"
                      : std::string("Replied to an earlier message");
  return out;
}

Result<Reply> decode_reply(const EncodedContent& content) {
  if (auto checked = expect_type(content, reply_content_type()); !checked) return fail(checked.error());
  auto reference = parameter(content, "reference");
  if (!reference) return fail(Errc::kMalformed, "Reply.reference: missing");
  auto inner = decode_encoded_content(content.content);
  if (!inner) return fail(context("Reply.content", inner.error()));
  return Reply{std::move(*reference), parameter(content, "referenceInboxId"), std::move(*inner)};
}

}  // namespace keylink::wire::xmtp
