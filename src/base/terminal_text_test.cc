#include "keylink/base/terminal_text.h"

#include <gtest/gtest.h>

namespace keylink {
namespace {

using namespace std::string_literals;

TEST(EscapeForTerminal, LeavesPrintableTextAlone) {
  for (std::string_view text : {"", "hello", "gm \xF0\x9F\x91\x8B", "caf\xC3\xA9 \xE2\x82\xAC 5", "a\\x1b is text"}) {
    EXPECT_EQ(escape_for_terminal(text), text);
    EXPECT_TRUE(is_printable_text(text)) << text;
  }
}

TEST(EscapeForTerminal, WritesC0ControlsAndDelAsEscapes) {
  EXPECT_EQ(escape_for_terminal("a\nb\rc\td"), "a\\nb\\rc\\td");
  EXPECT_EQ(escape_for_terminal("\x1b]0;owned\x07"), "\\x1b]0;owned\\x07");
  EXPECT_EQ(escape_for_terminal("\x1b[2J\x1b[H"), "\\x1b[2J\\x1b[H");
  EXPECT_EQ(escape_for_terminal("x\x7fy"), "x\\x7fy");
  EXPECT_EQ(escape_for_terminal("nul\0end"s), "nul\\x00end");
  EXPECT_EQ(escape_for_terminal("\x08\x0b\x0c\x1f"), "\\x08\\x0b\\x0c\\x1f");
}

TEST(EscapeForTerminal, WritesC1ControlsAsCodePoints) {
  EXPECT_EQ(escape_for_terminal("\xC2\x80"), "\\u{80}");
  EXPECT_EQ(escape_for_terminal("\xC2\x9B"
                                "2J"),
            "\\u{9b}2J");  // CSI
  EXPECT_EQ(escape_for_terminal("\xC2\x9D"
                                "0;x\xC2\x9C"),
            "\\u{9d}0;x\\u{9c}");                                         // OSC ... ST
  EXPECT_EQ(escape_for_terminal("\xC2\x9F\xC2\xA0"), "\\u{9f}\xC2\xA0");  // U+00A0 is printable
}

TEST(EscapeForTerminal, WritesBidiControlsAsCodePoints) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"\xE2\x80\xAA", "\\u{202a}"}, {"\xE2\x80\xAB", "\\u{202b}"}, {"\xE2\x80\xAC", "\\u{202c}"},
      {"\xE2\x80\xAD", "\\u{202d}"}, {"\xE2\x80\xAE", "\\u{202e}"}, {"\xE2\x81\xA6", "\\u{2066}"},
      {"\xE2\x81\xA7", "\\u{2067}"}, {"\xE2\x81\xA8", "\\u{2068}"}, {"\xE2\x81\xA9", "\\u{2069}"},
      {"\xE2\x80\x8E", "\\u{200e}"}, {"\xE2\x80\x8F", "\\u{200f}"}, {"\xD8\x9C", "\\u{61c}"},
      {"\xE2\x80\xA8", "\\u{2028}"}, {"\xE2\x80\xA9", "\\u{2029}"},
  };
  for (const auto& [text, escaped] : cases) {
    EXPECT_EQ(escape_for_terminal(text), escaped);
    EXPECT_FALSE(is_printable_text(text)) << escaped;
  }
  // "pay 0xEVIL" shown as "pay 0xLIVE" by a right-to-left override: the override is shown instead.
  EXPECT_EQ(escape_for_terminal("pay 0x\xE2\x80\xAE"
                                "LIVE\xE2\x80\xAC"),
            "pay 0x\\u{202e}LIVE\\u{202c}");
  // Neighbours of the ranges stay.
  for (std::string_view text : {"\xE2\x80\x8D", "\xE2\x80\xAF", "\xE2\x81\xA5", "\xE2\x81\xAA"}) {
    EXPECT_EQ(escape_for_terminal(text), text);
  }
}

TEST(EscapeForTerminal, WritesEachByteOfInvalidUtf8AsHex) {
  EXPECT_EQ(escape_for_terminal("\xFF"), "\\xff");
  EXPECT_EQ(escape_for_terminal("a\x80z"), "a\\x80z");                         // lone continuation
  EXPECT_EQ(escape_for_terminal("\xC0\xAF"), "\\xc0\\xaf");                    // overlong "/"
  EXPECT_EQ(escape_for_terminal("\xE0\x80\xAF"), "\\xe0\\x80\\xaf");           // overlong, 3 bytes
  EXPECT_EQ(escape_for_terminal("\xED\xA0\x80"), "\\xed\\xa0\\x80");           // surrogate U+D800
  EXPECT_EQ(escape_for_terminal("\xF4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // above U+10FFFF
  EXPECT_EQ(escape_for_terminal("\xE2\x80"), "\\xe2\\x80");                    // cut short
  EXPECT_EQ(escape_for_terminal("\xE2\x80"
                                "ok"),
            "\\xe2\\x80ok");
  EXPECT_EQ(escape_for_terminal("\xC2\x1b"), "\\xc2\\x1b");  // the control after it is escaped too
  for (std::string_view text : {"\xFF", "\xC0\xAF", "\xED\xA0\x80", "\xE2\x80"}) {
    EXPECT_FALSE(is_printable_text(text));
  }
}

TEST(EscapeForTerminal, EscapingTwiceChangesNothing) {
  const std::string hostile = "\x1b[31mred\r\n\xE2\x80\xAE\xC2\x9B\xFF\x7f\0tail"s;
  const std::string once = escape_for_terminal(hostile);
  EXPECT_EQ(escape_for_terminal(once), once);
  EXPECT_TRUE(is_printable_text(once));
}

TEST(IsPrintableText, AllowsNewlinesOnlyWhenAsked) {
  EXPECT_FALSE(is_printable_text("line 1\nline 2"));
  EXPECT_TRUE(is_printable_text("line 1\nline 2", true));
  EXPECT_FALSE(is_printable_text("line 1\r\nline 2", true));
  EXPECT_FALSE(is_printable_text("tab\there", true));
}

}  // namespace
}  // namespace keylink
