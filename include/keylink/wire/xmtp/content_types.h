// The standard XMTP content types, as EncodedContent (content.h) holds them, byte-compatible with the
// npm codecs @xmtp/content-type-text 1.0, -reaction 1.1 and -reply 1.1 (the ones xmtp-js 13 uses):
//   xmtp.org/text:1.0      parameters {encoding: "UTF-8"}, content = the UTF-8 text
//   xmtp.org/reaction:1.0  parameters {}, content = JSON {"action","reference","referenceInboxId"?,
//                          "schema","content"} in that key order (JSON.stringify); the legacy form
//                          (text content, action/reference/schema as parameters) is still decoded
//   xmtp.org/reply:1.0     parameters {contentType: "<authority>/<type>:<major>.<minor>" of the inner
//                          content, reference, referenceInboxId?}, content = the inner EncodedContent
// encode_* also set the fallback text that xmtp-js Client.encodeContent adds (none for text), so
// encode(encode_x(v)) is the payload xmtp-js sends for v. decode_* accept the type from any sender,
// as xmtp-js Client.codecFor does: same authority and type id, major version not above ours; another
// type fails with Errc::kBadVersion, a body that is not what the type says with Errc::kMalformed.
// Text is decoded as the WHATWG TextDecoder does it (a leading BOM dropped, invalid UTF-8 replaced by
// U+FFFD), so a reader sees what an xmtp-js reader sees. Compressed content must be decompressed
// first (content_compression.h). Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "keylink/base/result.h"
#include "keylink/wire/xmtp/content.h"

namespace keylink::wire::xmtp {

ContentTypeId text_content_type();      // xmtp.org/text:1.0
ContentTypeId reaction_content_type();  // xmtp.org/reaction:1.0
ContentTypeId reply_content_type();     // xmtp.org/reply:1.0

// "xmtp.org/text:1.0", as xmtp-js ContentTypeId.toString.
std::string to_string(const ContentTypeId& type);

// REQUIRES: text is UTF-8 (invalid sequences are sent as they are; xmtp-js readers show U+FFFD).
EncodedContent encode_text(std::string_view text);
// Fails with kMalformed when the encoding parameter is not "UTF-8" (as the JS codec refuses it).
Result<std::string> decode_text(const EncodedContent& content);

enum class ReactionAction { kAdded, kRemoved };
enum class ReactionSchema { kUnicode, kShortcode, kCustom };

struct Reaction {
  std::string reference;                          // the id (hex sha256) of the message reacted to
  std::optional<std::string> reference_inbox_id;  // groups only
  ReactionAction action = ReactionAction::kAdded;
  ReactionSchema schema = ReactionSchema::kUnicode;
  std::string content;  // the emoji, shortcode or custom reaction
  friend bool operator==(const Reaction&, const Reaction&) = default;
};

EncodedContent encode_reaction(const Reaction& reaction);
// Fails with kMalformed when a field is missing or not a string, or the action or schema is not one the
// JS type names.
Result<Reaction> decode_reaction(const EncodedContent& content);

struct Reply {
  std::string reference;                          // the id of the message replied to
  std::optional<std::string> reference_inbox_id;  // groups only
  // The reply itself, of any type, as its codec encodes it (no fallback: xmtp-js puts none in it); decode
  // it with its own decode_*.
  EncodedContent content;
};

EncodedContent encode_reply(const Reply& reply);
// Fails with kMalformed when the reference is missing or the inner content does not decode.
Result<Reply> decode_reply(const EncodedContent& content);

}  // namespace keylink::wire::xmtp
