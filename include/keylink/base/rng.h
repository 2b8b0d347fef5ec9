// Randomness is injected, never global: every protocol step takes an Rng&, so tests replay it exactly.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>

#include "keylink/base/bytes.h"

namespace keylink {

class Rng {
 public:
  virtual ~Rng() = default;
  virtual void fill(std::span<std::uint8_t> out) = 0;

  template <std::size_t N>
  std::array<std::uint8_t, N> bytes() {
    std::array<std::uint8_t, N> out;
    fill(out);
    return out;
  }
};

// The operating system's generator (libsodium's randombytes). Thread-safe.
class SystemRng final : public Rng {
 public:
  SystemRng();
  void fill(std::span<std::uint8_t> out) override;
};

// For tests: serves the bytes given to push() first, in order, then a ChaCha20 stream keyed by the seed.
// The same seed and pushes give the same bytes on every run. Not thread-safe.
class FixedRng final : public Rng {
 public:
  explicit FixedRng(std::uint64_t seed = 0);
  void push(ByteView bytes);
  void fill(std::span<std::uint8_t> out) override;

 private:
  std::array<std::uint8_t, 32> key_{};
  std::uint64_t counter_ = 0;
  std::deque<std::uint8_t> queued_;
};

}  // namespace keylink
