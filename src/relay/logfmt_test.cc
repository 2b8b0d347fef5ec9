#include "keylink/relay/logfmt.h"

#include <gtest/gtest.h>

namespace keylink::relay {
namespace {

TEST(LogfmtValue, QuotesPlainText) { EXPECT_EQ(logfmt_value("auth token expired"), "\"auth token expired\""); }

// A JWT's aud that tries to end the line and write one of its own.
TEST(LogfmtValue, AnAttackersTextStaysOneValueOnOneLine) {
  const std::string forged = "x\")\nts=2026-01-01T00:00:00.000Z level=error msg=\"forged\" \\";
  EXPECT_EQ(logfmt_value(forged), R"("x\")\nts=2026-01-01T00:00:00.000Z level=error msg=\"forged\" \\")");
}

TEST(LogfmtValue, EscapesControlsDelAndEveryNonAsciiByte) {
  EXPECT_EQ(logfmt_value(std::string("\x1b[2J\x7f\r\t\0", 8)), R"("\x1b[2J\x7f\r\t\x00")");
  EXPECT_EQ(logfmt_value("\xc2\x9b"), R"("\xc2\x9b")");  // U+009B, a C1 control (CSI) in UTF-8
}

}  // namespace
}  // namespace keylink::relay
