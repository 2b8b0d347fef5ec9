// The one-time code: uniform digits, five minutes, one try.
#include "keylink/link/one_time_code.h"

#include <gtest/gtest.h>

#include <array>

#include "keylink/link/errors.h"

namespace keylink::link {
namespace {

using namespace std::chrono_literals;

TEST(OneTimeCodeTest, IsSixDigitsUsableOnce) {
  FixedRng rng(7);
  ManualClock clock;
  OneTimeCode code = OneTimeCode::generate(rng, clock.now());
  EXPECT_TRUE(is_code_text(code.text()));
  const std::string digits(code.text());
  EXPECT_TRUE(code.check(digits, clock.now()));
  EXPECT_TRUE(code.used);
  auto again = code.check(digits, clock.now());
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::kCodeUsed);
}

TEST(OneTimeCodeTest, AWrongTryBurnsIt) {
  FixedRng rng(7);
  ManualClock clock;
  OneTimeCode code = OneTimeCode::generate(rng, clock.now());
  const std::string right(code.text());
  std::string wrong = right;
  wrong[0] = wrong[0] == '9' ? '0' : static_cast<char>(wrong[0] + 1);
  auto verdict = code.check(wrong, clock.now());
  ASSERT_FALSE(verdict);
  EXPECT_EQ(verdict.error().code, Errc::kWrongCode);
  auto then = code.check(right, clock.now());
  ASSERT_FALSE(then);
  EXPECT_EQ(then.error().code, Errc::kCodeUsed);
}

TEST(OneTimeCodeTest, ExpiresAfterFiveMinutes) {
  FixedRng rng(7);
  ManualClock clock;
  OneTimeCode code = OneTimeCode::generate(rng, clock.now());
  const std::string digits(code.text());
  EXPECT_TRUE(check_code(code, digits, clock.now() + 299s));
  auto late = check_code(code, digits, clock.now() + 300s);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, Errc::kExpired);
  auto before = check_code(code, digits, clock.now() - 1s);
  ASSERT_FALSE(before);
  EXPECT_EQ(before.error().code, Errc::kExpired);
}

TEST(OneTimeCodeTest, CheckCodeIsPure) {
  FixedRng rng(7);
  ManualClock clock;
  const OneTimeCode code = OneTimeCode::generate(rng, clock.now());
  EXPECT_FALSE(check_code(code, "12345", clock.now()));
  EXPECT_FALSE(check_code(code, "", clock.now()));
  EXPECT_TRUE(check_code(code, code.text(), clock.now()));
  EXPECT_FALSE(code.used);
}

// Bytes from 250 up are drawn again: with them in front of the Rng, the digits come from what follows.
TEST(OneTimeCodeTest, RejectsBiasedBytes) {
  FixedRng rng;
  const std::uint8_t bytes[] = {255, 250, 9, 251, 19, 0, 249, 100, 252, 55};
  rng.push(bytes);
  OneTimeCode code = OneTimeCode::generate(rng, TimePoint{});
  EXPECT_EQ(code.text(), "990905");
}

TEST(OneTimeCodeTest, DigitsAreRoughlyUniform) {
  FixedRng rng(3);
  std::array<int, 10> counts{};
  for (int i = 0; i < 2000; ++i) {
    const OneTimeCode code = OneTimeCode::generate(rng, TimePoint{});
    for (char c : code.text()) ++counts[static_cast<std::size_t>(c - '0')];
  }
  for (int count : counts) {
    EXPECT_GT(count, 1000);  // 1200 expected each
    EXPECT_LT(count, 1400);
  }
}

}  // namespace
}  // namespace keylink::link
