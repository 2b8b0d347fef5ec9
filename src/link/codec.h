// Bounds-checked reading and writing of the link messages' fields: big-endian integers and
// length-prefixed blobs. Internal to the link layer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "keylink/base/bytes.h"
#include "keylink/base/check.h"
#include "keylink/base/result.h"
#include "keylink/link/errors.h"

namespace keylink::link::detail {

// Reads from a view it does not own; every read checks what is left first.
class Reader {
 public:
  explicit Reader(ByteView bytes) : rest_(bytes) {}

  Result<std::uint8_t> u8() {
    auto bytes = take(1);
    if (!bytes) return fail(bytes.error());
    return (*bytes)[0];
  }
  Result<std::uint32_t> u32() { return big_endian<std::uint32_t>(); }
  Result<std::uint64_t> u64() { return big_endian<std::uint64_t>(); }
  Result<ByteView> take(std::size_t size) {
    if (size > rest_.size()) return fail(Errc::kMalformed, "the message ends early");
    ByteView out = rest_.first(size);
    rest_ = rest_.subspan(size);
    return out;
  }
  // A u32 length, checked against max before anything else, then that many bytes.
  Result<ByteView> blob(std::size_t max) {
    auto size = u32();
    if (!size) return fail(size.error());
    if (*size > max) return fail(Errc::kTooLarge, "a field is longer than its limit");
    return take(*size);
  }
  ByteView rest() const { return rest_; }
  bool done() const { return rest_.empty(); }

 private:
  template <class T>
  Result<T> big_endian() {
    auto bytes = take(sizeof(T));
    if (!bytes) return fail(bytes.error());
    T value = 0;
    for (std::uint8_t b : *bytes) value = static_cast<T>((value << 8) | b);
    return value;
  }

  ByteView rest_;
};

// Writes into a buffer sized beforehand; writing past its end is a bug.
class Writer {
 public:
  explicit Writer(std::span<std::uint8_t> out) : out_(out) {}

  void u8(std::uint8_t value) { bytes(ByteView(&value, 1)); }
  void u32(std::uint32_t value) { big_endian(value); }
  void u64(std::uint64_t value) { big_endian(value); }
  void bytes(ByteView data) {
    KEYLINK_CHECK(data.size() <= out_.size() - pos_);
    std::copy(data.begin(), data.end(), out_.begin() + static_cast<std::ptrdiff_t>(pos_));
    pos_ += data.size();
  }
  void blob(ByteView data) {
    KEYLINK_CHECK(data.size() <= UINT32_MAX);
    u32(static_cast<std::uint32_t>(data.size()));
    bytes(data);
  }
  bool full() const { return pos_ == out_.size(); }

  static constexpr std::size_t blob_size(std::size_t data_size) { return 4 + data_size; }

 private:
  template <class T>
  void big_endian(T value) {
    std::uint8_t buffer[sizeof(T)];
    for (std::size_t i = 0; i < sizeof(T); ++i)
      buffer[i] = static_cast<std::uint8_t>(value >> (8 * (sizeof(T) - 1 - i)));
    bytes(ByteView(buffer, sizeof(T)));
  }

  std::span<std::uint8_t> out_;
  std::size_t pos_ = 0;
};

}  // namespace keylink::link::detail
