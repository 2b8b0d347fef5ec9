// Secrets live in types that wipe themselves.
//
// Secret<N> (fixed size) and SecretBytes (sized at construction) are move-only, are wiped when destroyed
// or moved from, cannot be printed, and hand out their bytes through one accessor, expose(), that
// reviewers can grep for. Equality is constant-time. Not thread-safe; a const Secret may be shared.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "keylink/base/bytes.h"
#include "keylink/base/check.h"

namespace keylink {

// Wipes memory in a way the compiler cannot drop.
void secure_wipe(void* data, std::size_t size) noexcept;
// Constant-time equality of two equally long ranges.
bool constant_time_equal(ByteView a, ByteView b) noexcept;

template <std::size_t N>
class Secret {
 public:
  static constexpr std::size_t kSize = N;

  Secret() noexcept { bytes_.fill(0); }
  // REQUIRES: bytes.size() == N.
  explicit Secret(ByteView bytes) noexcept {
    KEYLINK_CHECK(bytes.size() == N);
    std::copy(bytes.begin(), bytes.end(), bytes_.begin());
  }
  ~Secret() { secure_wipe(bytes_.data(), N); }
  Secret(Secret&& other) noexcept : bytes_(other.bytes_) { secure_wipe(other.bytes_.data(), N); }
  Secret& operator=(Secret&& other) noexcept {
    if (this != &other) {
      bytes_ = other.bytes_;
      secure_wipe(other.bytes_.data(), N);
    }
    return *this;
  }
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;

  // An explicit copy, for the rare place that must keep two.
  Secret clone() const noexcept { return Secret(ByteView(bytes_)); }

  std::span<const std::uint8_t, N> expose() const noexcept { return bytes_; }
  std::span<std::uint8_t, N> expose_mutable() noexcept { return bytes_; }

  friend bool operator==(const Secret& a, const Secret& b) noexcept { return constant_time_equal(a.bytes_, b.bytes_); }

 private:
  std::array<std::uint8_t, N> bytes_;
};

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::size_t size) : bytes_(size, 0) {}
  explicit SecretBytes(ByteView bytes) : bytes_(bytes.begin(), bytes.end()) {}
  ~SecretBytes() { secure_wipe(bytes_.data(), bytes_.size()); }
  SecretBytes(SecretBytes&& other) noexcept : bytes_(std::move(other.bytes_)) { other.bytes_.clear(); }
  SecretBytes& operator=(SecretBytes&& other) noexcept {
    if (this != &other) {
      secure_wipe(bytes_.data(), bytes_.size());
      bytes_ = std::move(other.bytes_);
      other.bytes_.clear();
    }
    return *this;
  }
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  SecretBytes clone() const { return SecretBytes(ByteView(bytes_)); }
  std::size_t size() const noexcept { return bytes_.size(); }
  bool empty() const noexcept { return bytes_.empty(); }

  ByteView expose() const noexcept { return bytes_; }
  std::span<std::uint8_t> expose_mutable() noexcept { return bytes_; }

  friend bool operator==(const SecretBytes& a, const SecretBytes& b) noexcept {
    return a.size() == b.size() && constant_time_equal(a.bytes_, b.bytes_);
  }

 private:
  std::vector<std::uint8_t> bytes_;  // never resized after construction, so never copied by growth
};

}  // namespace keylink
