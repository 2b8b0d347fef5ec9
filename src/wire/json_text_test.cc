#include "keylink/wire/json_text.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "keylink/wire/errors.h"

namespace keylink::wire {
namespace {

using Json = nlohmann::json;

std::string as_json(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

std::string reference_dump(const Json& value) { return value.dump(-1, ' ', false, Json::error_handler_t::replace); }

TEST(JsonText, EscapesWhatJsonRequires) {
  EXPECT_EQ(as_json(""), R"("")");
  EXPECT_EQ(as_json("plain base64+/="), R"("plain base64+/=")");
  EXPECT_EQ(as_json("a\"b\\c\nd\x01\b\f\x7f"), "\"a\\\"b\\\\c\\nd\\u0001\\b\\f\x7f\"");
  EXPECT_EQ(as_json("caf\xc3\xa9 \xf0\x9f\x94\x91"), "\"caf\xc3\xa9 \xf0\x9f\x94\x91\"");
}

TEST(JsonText, StringsParseBackToTheSameTextForRandomInput) {
  std::mt19937 random(7);
  const std::string alphabet = std::string("abcXYZ019+/=\"\\\n\t\x01\x1f\b\f ") + "\xc3\xa9";
  for (int round = 0; round < 2000; ++round) {
    std::string text;
    const int length = static_cast<int>(random() % 40);
    for (int i = 0; i < length; ++i) {
      const char c = alphabet[random() % alphabet.size()];
      if (static_cast<unsigned char>(c) == 0xc3) continue;  // keep the text valid UTF-8: é as a pair only
      if (static_cast<unsigned char>(c) == 0xa9) text += "\xc3";
      text += c;
    }
    EXPECT_EQ(Json::parse(as_json(text)).get<std::string>(), text);
    EXPECT_EQ(as_json(text), reference_dump(Json(text)));
  }
}

TEST(JsonText, DumpWritesWhatNlohmannWrites) {
  const Json value = {{"z", {1, -2, 18446744073709551615ULL, -9223372036854775807LL - 1, 0.1, -0.0, 1e300, 2.0}},
                      {"a", {{"nested", Json::array()}, {"empty", Json::object()}, {"null", nullptr}}},
                      {"flags", {true, false}},
                      {"bad utf-8 \xff", "caf\xc3\xa9 \xc3 \xed\xa0\x80"},
                      {"long", std::string(100000, 'A') + "\"" + std::string(7, 'b')}};
  EXPECT_EQ(dump_json(value), reference_dump(value));
  EXPECT_EQ(dump_json(Json("\xff")), "\"\xef\xbf\xbd\"");  // U+FFFD, as nlohmann's replace handler writes it
}

TEST(JsonText, ParseGivesWhatNlohmannGives) {
  for (const std::string& text :
       std::vector<std::string>{R"({"a":1,"a":[2,{"b":"\ud83d\udd11"}],"c":-5,"d":-0.0,"e":1.5e-7})",
                                R"([18446744073709551615, 9223372036854775808, -9223372036854775808])", R"( "plain" )",
                                "true", "null", "0", "[[[]]]", std::string("\"caf\xc3\xa9\"")}) {
    auto parsed = parse_json(text, 8);
    ASSERT_TRUE(parsed) << text << ": " << parsed.error().message;
    EXPECT_EQ(*parsed, Json::parse(text)) << text;
    EXPECT_EQ(dump_json(*parsed), reference_dump(Json::parse(text))) << text;
  }
  EXPECT_TRUE(parse_json(R"({"a":1,"a":2})", 8).value()["a"] == 2);  // the last of a repeated key
  EXPECT_TRUE(parse_json("5", 8).value().is_number_unsigned());
}

TEST(JsonText, IntegersPast64BitsBecomeDoublesAsInNlohmann) {
  auto parsed = parse_json("[18446744073709551616,-9223372036854775809]", 8);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_TRUE((*parsed)[0].is_number_float());
  EXPECT_EQ(*parsed, Json::parse("[18446744073709551616,-9223372036854775809]"));
}

TEST(JsonText, RefusesWhatIsNotJson) {
  for (const std::string& text : std::vector<std::string>{
           "", "{", "{\"a\":}", "[1,]", "01", "1e400", "\"\\ud800\"", "\"\\udc00\"", "\"a\nb\"", "{} x", "'a'",
           "[1] // c", std::string("\"\xff\""), std::string("\"\xed\xa0\x80\""), std::string("\"\xc0\xaf\"")}) {
    auto parsed = parse_json(text, 8);
    ASSERT_FALSE(parsed) << text;
    EXPECT_EQ(parsed.error().code, make_error_code(Errc::kMalformed)) << text;
    EXPECT_TRUE(Json::parse(text, nullptr, false).is_discarded()) << text;
  }
}

TEST(JsonText, DepthIsBounded) {
  const auto nested = [](int depth) {
    return std::string(static_cast<std::size_t>(depth), '[') + std::string(static_cast<std::size_t>(depth), ']');
  };
  EXPECT_TRUE(parse_json(nested(8), 8));
  EXPECT_EQ(parse_json(nested(9), 8).error().code, make_error_code(Errc::kTooLarge));
  // Deeper than simdjson goes (1,024): refused by the bracket count before nlohmann::json sees it.
  EXPECT_EQ(parse_json(nested(5000), 8).error().code, make_error_code(Errc::kTooLarge));
  EXPECT_EQ(parse_json(R"({"a":{"b":[{"c":1}]}})", 3).error().code, make_error_code(Errc::kTooLarge));
  EXPECT_TRUE(parse_json(R"({"a":{"b":[{"c":1}]}})", 4));
}

}  // namespace
}  // namespace keylink::wire
