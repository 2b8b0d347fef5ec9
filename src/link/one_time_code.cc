#include "keylink/link/one_time_code.h"

#include <algorithm>

#include "keylink/link/errors.h"

namespace keylink::link {
namespace {

// 250 is the largest multiple of 10 that fits a byte: bytes from 250 up are drawn again, so that each
// digit is exactly uniform (a plain `byte % 10` would favour 0..5).
constexpr std::uint8_t kRejectFrom = 250;

char uniform_digit(Rng& rng) {
  for (;;) {
    const std::uint8_t byte = rng.bytes<1>()[0];
    if (byte < kRejectFrom) return static_cast<char>('0' + byte % 10);
  }
}

}  // namespace

OneTimeCode OneTimeCode::generate(Rng& rng, TimePoint now) {
  OneTimeCode code;
  for (auto& digit : code.digits.expose_mutable()) digit = static_cast<std::uint8_t>(uniform_digit(rng));
  code.made_at = now;
  return code;
}

std::string_view OneTimeCode::text() const noexcept { return as_chars(digits.expose()); }

Result<void> OneTimeCode::check(std::string_view offered, TimePoint now) {
  auto verdict = check_code(*this, offered, now);
  used = true;
  return verdict;
}

Result<void> check_code(const OneTimeCode& code, std::string_view offered, TimePoint now) {
  if (code.used) {
    return fail(Errc::kCodeUsed, "this one-time code was already tried once; make a new code on this device");
  }
  if (now < code.made_at || now - code.made_at >= kCodeLifetime) {
    return fail(Errc::kExpired, "the one-time code is older than 5 minutes; make a new code on this device");
  }
  // Only the length may leak: every code has the same one.
  if (offered.size() != kCodeDigits || !constant_time_equal(code.digits.expose(), as_bytes(offered))) {
    return fail(Errc::kWrongCode,
                "the link URI does not carry the code this device shows; the code is now used up, make a new one");
  }
  return {};
}

bool is_code_text(std::string_view text) noexcept {
  return text.size() == kCodeDigits &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace keylink::link
