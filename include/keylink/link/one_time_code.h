// The one-time code device A shows while a new device B is being linked.
//
// Six decimal digits drawn uniformly from the Rng, valid for kCodeLifetime, good for exactly one check:
// any check, right or wrong, burns the code. The runtime persists a OneTimeCode (the digits, when it was
// made, whether it was used) in its store; check_code() is the pure decision over that record.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <string_view>

#include "keylink/base/clock.h"
#include "keylink/base/result.h"
#include "keylink/base/rng.h"
#include "keylink/base/secret.h"

namespace keylink::link {

inline constexpr std::size_t kCodeDigits = 6;
inline constexpr std::chrono::seconds kCodeLifetime{300};

struct OneTimeCode {
  Secret<kCodeDigits> digits;  // ASCII '0'..'9'
  TimePoint made_at;
  bool used = false;

  // A fresh code: each digit from the Rng by rejection sampling, so every code is equally likely.
  static OneTimeCode generate(Rng& rng, TimePoint now);

  // The digits as text, to show the user.
  std::string_view text() const noexcept;

  // Burns the code (used = true) and then decides, as check_code(); the runtime must persist *this
  // (now burnt) before it acts on the answer, whatever the answer is.
  Result<void> check(std::string_view offered, TimePoint now);
};

// The pure decision: fails with kCodeUsed if the code was checked before, kExpired if it is kCodeLifetime
// old or older (or made in the future), kWrongCode if `offered` differs (compared in constant time), and
// succeeds otherwise. It does not burn the code: OneTimeCode::check() does both.
Result<void> check_code(const OneTimeCode& code, std::string_view offered, TimePoint now);

// True when text is exactly kCodeDigits ASCII digits.
bool is_code_text(std::string_view text) noexcept;

}  // namespace keylink::link
