#include "json_text.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

namespace keylink::relay {
namespace {

std::string as_json(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

TEST(JsonText, EscapesWhatJsonRequires) {
  EXPECT_EQ(as_json(""), R"("")");
  EXPECT_EQ(as_json("plain base64+/="), R"("plain base64+/=")");
  EXPECT_EQ(as_json("a\"b\\c\nd\x01"), R"("a\"b\\c\nd\u0001")");
  EXPECT_EQ(as_json("caf\xc3\xa9 \xf0\x9f\x94\x91"), "\"caf\xc3\xa9 \xf0\x9f\x94\x91\"");
}

TEST(JsonText, ParsesBackToTheSameTextForRandomInput) {
  std::mt19937 random(7);
  const std::string alphabet = std::string("abcXYZ019+/=\"\\\n\t\x01\x1f ") + "\xc3\xa9";
  for (int round = 0; round < 2000; ++round) {
    std::string text;
    const int length = static_cast<int>(random() % 40);
    for (int i = 0; i < length; ++i) {
      const char c = alphabet[random() % alphabet.size()];
      if (static_cast<unsigned char>(c) == 0xc3) continue;  // keep the text valid UTF-8: é as a pair only
      if (static_cast<unsigned char>(c) == 0xa9) text += "\xc3";
      text += c;
    }
    EXPECT_EQ(nlohmann::json::parse(as_json(text)).get<std::string>(), text);
  }
}

TEST(JsonText, Integers) {
  std::string out;
  append_int(out, -9223372036854775807 - 1);
  out += ',';
  append_int(out, 1795316524421000);
  EXPECT_EQ(out, "-9223372036854775808,1795316524421000");
}

}  // namespace
}  // namespace keylink::relay
