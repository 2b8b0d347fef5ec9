#include "keylink/wire/xmtp/content_types.h"

#include <gtest/gtest.h>

#include "keylink/wire/errors.h"
#include "keylink/wire/xmtp/content_compression.h"

namespace keylink::wire::xmtp {
namespace {

std::string text_of(const Bytes& bytes) { return std::string(as_chars(bytes)); }

TEST(XmtpContentTypes, TypeIdsPrintAsXmtpJs) {
  EXPECT_EQ(to_string(text_content_type()), "xmtp.org/text:1.0");
  EXPECT_EQ(to_string(reaction_content_type()), "xmtp.org/reaction:1.0");
  EXPECT_EQ(to_string(reply_content_type()), "xmtp.org/reply:1.0");
}

TEST(XmtpContentTypes, TextRoundTrips) {
  const auto encoded = encode_text("héllo 😀");
  EXPECT_EQ(encoded.parameters.at("encoding"), "UTF-8");
  EXPECT_FALSE(encoded.fallback);
  auto decoded = decode_encoded_content(encode(encoded));
  ASSERT_TRUE(decoded);
  auto text = decode_text(*decoded);
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_EQ(*text, "héllo 😀");
}

TEST(XmtpContentTypes, TextDecodesAsTextDecoder) {
  auto content = encode_text("");
  content.content = {0xEF, 0xBB, 0xBF, 'a', 0xC3, 'b', 0xED, 0xA0, 0x80, 0xF0, 0x9F, 0x98};
  auto text = decode_text(content);
  ASSERT_TRUE(text);
  // BOM dropped; a lone lead byte, each byte of a surrogate and a truncated sequence become U+FFFD.
  EXPECT_EQ(*text,
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(XmtpContentTypes, TextRefusesOtherEncodingsAndTypes) {
  auto content = encode_text("x");
  content.parameters["encoding"] = "unknown";
  EXPECT_FALSE(decode_text(content));
  content.parameters.clear();
  EXPECT_FALSE(decode_text(content));
  auto newer = encode_text("x");
  newer.type.version_major = 2;
  auto refused = decode_text(newer);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, make_error_code(Errc::kBadVersion));
  auto minor = encode_text("x");
  minor.type.version_minor = 7;
  EXPECT_TRUE(decode_text(minor));
  EXPECT_FALSE(decode_text(encode_reaction(Reaction{})));
}

TEST(XmtpContentTypes, ReactionIsJsonInJsKeyOrder) {
  const Reaction reaction{"abc123", std::nullopt, ReactionAction::kAdded, ReactionSchema::kUnicode, "👍"};
  const auto encoded = encode_reaction(reaction);
  EXPECT_TRUE(encoded.parameters.empty());
  EXPECT_EQ(text_of(encoded.content), R"({"action":"added","reference":"abc123","schema":"unicode","content":"👍"})");
  EXPECT_EQ(encoded.fallback, "Reacted “👍” to an earlier message");
  auto decoded = decode_reaction(encoded);
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, reaction);

  const Reaction removed{"r\"\n", "inbox", ReactionAction::kRemoved, ReactionSchema::kShortcode, ":smile:"};
  const auto encoded_removed = encode_reaction(removed);
  EXPECT_EQ(
      text_of(encoded_removed.content),
      R"({"action":"removed","reference":"r\"\n","referenceInboxId":"inbox","schema":"shortcode","content":":smile:"})");
  EXPECT_EQ(encoded_removed.fallback, "Removed “:smile:” from an earlier message");
  EXPECT_EQ(decode_reaction(encoded_removed), removed);
}

TEST(XmtpContentTypes, LegacyReactionsDecode) {
  EncodedContent legacy;
  legacy.type = reaction_content_type();
  legacy.parameters = {{"encoding", "UTF-8"}, {"action", "removed"}, {"reference", "ff00"}, {"schema", "custom"}};
  legacy.content = to_bytes("party-parrot");
  auto decoded = decode_reaction(legacy);
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded,
            (Reaction{"ff00", std::nullopt, ReactionAction::kRemoved, ReactionSchema::kCustom, "party-parrot"}));
  legacy.parameters.erase("reference");
  EXPECT_FALSE(decode_reaction(legacy));
}

TEST(XmtpContentTypes, MalformedReactionsAreRefused) {
  EncodedContent content;
  content.type = reaction_content_type();
  for (const char* json : {R"({"action":"liked","reference":"a","schema":"unicode","content":"x"})",
                           R"({"action":"added","reference":"a","schema":"emoji","content":"x"})",
                           R"({"action":"added","reference":7,"schema":"unicode","content":"x"})",
                           R"({"action":"added","schema":"unicode","content":"x"})"}) {
    content.content = to_bytes(json);
    auto decoded = decode_reaction(content);
    ASSERT_FALSE(decoded) << json;
    EXPECT_EQ(decoded.error().code, make_error_code(Errc::kMalformed));
  }
}

TEST(XmtpContentTypes, ReplyCarriesInnerContent) {
  const Reply reply{"0badc0de", std::nullopt, encode_text("me too")};
  const auto encoded = encode_reply(reply);
  EXPECT_EQ(encoded.parameters,
            (std::map<std::string, std::string>{{"contentType", "xmtp.org/text:1.0"}, {"reference", "0badc0de"}}));
  EXPECT_EQ(encoded.content, encode(reply.content));
  EXPECT_EQ(encoded.fallback, "Replied with “me too” to an earlier message");
  auto decoded = decode_reply(encoded);
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(decoded->reference, "0badc0de");
  EXPECT_FALSE(decoded->reference_inbox_id);
  EXPECT_EQ(decode_text(decoded->content), "me too");

  const Reply to_reaction{"ab", "inbox-1",
                          encode_reaction({"cd", std::nullopt, ReactionAction::kAdded, ReactionSchema::kUnicode, "x"})};
  const auto encoded_reaction = encode_reply(to_reaction);
  EXPECT_EQ(encoded_reaction.parameters.at("referenceInboxId"), "inbox-1");
  EXPECT_EQ(encoded_reaction.fallback, "Replied to an earlier message");
  EXPECT_EQ(decode_reply(encoded_reaction)->reference_inbox_id, "inbox-1");

  auto no_reference = encoded;
  no_reference.parameters.erase("reference");
  EXPECT_FALSE(decode_reply(no_reference));
  auto garbage = encoded;
  garbage.content = {0xff, 0xff};
  EXPECT_FALSE(decode_reply(garbage));
}

TEST(XmtpContentCompression, RoundTripsBothFormats) {
  const std::string text(3000, 'z');
  for (auto algorithm : {Compression::kDeflate, Compression::kGzip}) {
    const auto compressed = compress(encode_text(text), algorithm);
    EXPECT_EQ(compressed.compression, algorithm);
    EXPECT_LT(compressed.content.size(), 100u);
    // deflate is a zlib stream (0x78 ...), gzip a gzip member (0x1f 0x8b ...).
    EXPECT_EQ(compressed.content[0], algorithm == Compression::kGzip ? 0x1f : 0x78);
    auto decompressed = decompress(compressed, kMaxContentSize);
    ASSERT_TRUE(decompressed) << decompressed.error().message;
    EXPECT_FALSE(decompressed->compression);
    EXPECT_EQ(decode_text(*decompressed), text);
  }
}

TEST(XmtpContentCompression, ShortAndPlainContentIsLeftAlone) {
  const auto short_text = compress(encode_text("tiny"), Compression::kGzip);
  EXPECT_FALSE(short_text.compression);
  auto plain = decompress(encode_text("plain"), 1);
  ASSERT_TRUE(plain);
  EXPECT_EQ(decode_text(*plain), "plain");
}

TEST(XmtpContentCompression, BombsStopAtTheLimit) {
  const auto bomb = compress(encode_text(std::string(8 * 1024 * 1024, '\0')), Compression::kDeflate);
  EXPECT_LT(bomb.content.size(), 16u * 1024);
  auto refused = decompress(bomb, kMaxContentSize);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, make_error_code(Errc::kTooLarge));
  const auto small = compress(encode_text(std::string(1001, 'a')), Compression::kGzip);
  EXPECT_FALSE(decompress(small, kXmtpJsMaxDecompressedSize));
  EXPECT_TRUE(decompress(small, 1001));
}

TEST(XmtpContentCompression, CorruptStreamsAreRefused) {
  auto compressed = compress(encode_text(std::string(500, 'q')), Compression::kGzip);
  auto truncated = compressed;
  truncated.content.resize(truncated.content.size() - 3);
  auto junk = compressed;
  junk.content.push_back(0);
  auto wrong_format = compressed;
  wrong_format.compression = Compression::kDeflate;
  auto empty = compressed;
  empty.content.clear();
  for (const auto* bad : {&truncated, &junk, &wrong_format, &empty}) {
    auto refused = decompress(*bad, kMaxContentSize);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, make_error_code(Errc::kMalformed));
  }
}

}  // namespace
}  // namespace keylink::wire::xmtp
