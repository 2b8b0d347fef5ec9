#include "sync/codec.h"

namespace keylink::sync::codec {

void Writer::raw(ByteView bytes) { out_.insert(out_.end(), bytes.begin(), bytes.end()); }

void Writer::u16(std::uint16_t v) {
  u8(static_cast<std::uint8_t>(v >> 8));
  u8(static_cast<std::uint8_t>(v));
}

void Writer::u32(std::uint32_t v) {
  u16(static_cast<std::uint16_t>(v >> 16));
  u16(static_cast<std::uint16_t>(v));
}

void Writer::u64(std::uint64_t v) {
  u32(static_cast<std::uint32_t>(v >> 32));
  u32(static_cast<std::uint32_t>(v));
}

void Writer::str16(std::string_view text) {
  KEYLINK_CHECK(text.size() <= 0xffff);
  u16(static_cast<std::uint16_t>(text.size()));
  raw(as_bytes(text));
}

void Writer::bytes32(ByteView bytes) {
  KEYLINK_CHECK(bytes.size() <= 0xffffffffu);
  u32(static_cast<std::uint32_t>(bytes.size()));
  raw(bytes);
}

ByteView Reader::take(std::size_t n) {
  if (!ok_ || n > remaining()) {
    ok_ = false;
    return {};
  }
  ByteView out = in_.subspan(pos_, n);
  pos_ += n;
  return out;
}

std::uint8_t Reader::u8() {
  ByteView b = take(1);
  return b.empty() ? 0 : b[0];
}

std::uint16_t Reader::u16() {
  ByteView b = take(2);
  return b.size() == 2 ? static_cast<std::uint16_t>((b[0] << 8) | b[1]) : 0;
}

std::uint32_t Reader::u32() {
  const std::uint32_t high = u16();
  return (high << 16) | u16();
}

std::uint64_t Reader::u64() {
  const std::uint64_t high = u32();
  return (high << 32) | u32();
}

std::string Reader::str16(std::size_t max_size) {
  const std::size_t n = u16();
  if (n > max_size) fail();
  return std::string(as_chars(take(ok_ ? n : 0)));
}

Bytes Reader::bytes32(std::size_t max_size) {
  const std::size_t n = u32();
  if (n > max_size) fail();
  ByteView b = take(ok_ ? n : 0);
  return Bytes(b.begin(), b.end());
}

}  // namespace keylink::sync::codec
