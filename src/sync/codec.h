// The sync layer's own binary encoding: big-endian integers, strings and byte strings with a length
// prefix, fixed-size arrays bare. The Reader is total: every read checks the bytes left first and
// fails the Reader (never throws, never reads past the end); callers check ok() once at the end.
// Every length read from the input is checked against the caller's limit before it sizes anything.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "keylink/base/bytes.h"
#include "keylink/base/check.h"
#include "keylink/base/result.h"

namespace keylink::sync::codec {

class Writer {
 public:
  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v);
  void u32(std::uint32_t v);
  void u64(std::uint64_t v);
  void raw(ByteView bytes);
  // REQUIRES: text.size() <= 0xffff (callers enforce their own, smaller limits).
  void str16(std::string_view text);
  void bytes32(ByteView bytes);  // u32 length then the bytes
  const Bytes& bytes() const noexcept { return out_; }
  Bytes take() { return std::move(out_); }

 private:
  Bytes out_;
};

class Reader {
 public:
  explicit Reader(ByteView input) : in_(input) {}
  std::uint8_t u8();
  std::uint16_t u16();
  std::uint32_t u32();
  std::uint64_t u64();
  template <std::size_t N>
  std::array<std::uint8_t, N> array() {
    std::array<std::uint8_t, N> out{};
    ByteView got = take(N);
    if (got.size() == N) std::copy(got.begin(), got.end(), out.begin());
    return out;
  }
  // Fails the reader when the length prefix exceeds max_size.
  std::string str16(std::size_t max_size);
  Bytes bytes32(std::size_t max_size);
  ByteView take(std::size_t n);
  std::size_t offset() const noexcept { return pos_; }
  std::size_t remaining() const noexcept { return in_.size() - pos_; }
  bool ok() const noexcept { return ok_; }
  bool at_end() const noexcept { return ok_ && pos_ == in_.size(); }
  void fail() noexcept { ok_ = false; }

 private:
  ByteView in_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace keylink::sync::codec
