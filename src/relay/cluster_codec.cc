#include "relay/cluster_codec.h"

#include <cstdint>
#include <cstring>

#include "keylink/relay/errors.h"

namespace keylink::relay::cluster {
namespace {

constexpr char kVersion = 1;
constexpr std::uint8_t kPrompt = 1;  // flag bits of a message

void put_u64(std::string& out, std::uint64_t value) {
  for (int i = 0; i < 8; ++i) out += static_cast<char>(value >> (8 * i));
}

void put_u32(std::string& out, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>(value >> (8 * i));
}

void put_text(std::string& out, std::string_view text) {
  put_u32(out, static_cast<std::uint32_t>(text.size()));
  out += text;
}

// Reads the fields in order; the first that does not fit the bytes left sets `bad`, after which every
// read returns zero or empty.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : rest_(bytes) {}

  std::uint64_t u64() { return little_endian(8); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(little_endian(4)); }
  std::uint8_t u8() { return static_cast<std::uint8_t>(little_endian(1)); }
  std::string_view text() {
    const std::size_t size = u32();
    if (bad_ || size > rest_.size()) return fail();
    const std::string_view text = rest_.substr(0, size);
    rest_.remove_prefix(size);
    return text;
  }
  // Every field read, and nothing after them.
  bool done() const { return !bad_ && rest_.empty(); }
  std::size_t left() const { return rest_.size(); }

 private:
  std::uint64_t little_endian(std::size_t size) {
    if (bad_ || rest_.size() < size) return fail(), 0;
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < size; ++i) value |= std::uint64_t{static_cast<std::uint8_t>(rest_[i])} << (8 * i);
    rest_.remove_prefix(size);
    return value;
  }
  std::string_view fail() {
    bad_ = true;
    rest_ = {};
    return {};
  }

  std::string_view rest_;
  bool bad_ = false;
};

Error malformed(std::string_view what) {
  return Error{make_error_code(Errc::kCluster), "a cluster " + std::string(what) + " that does not parse"};
}

}  // namespace

std::string encode_message(const JournaledMessage& journaled) {
  const StoredMessage& message = journaled.message;
  std::string out(1, kVersion);
  put_text(out, message.topic);
  put_text(out, message.message);
  put_u64(out, static_cast<std::uint64_t>(message.tag));
  put_u64(out, static_cast<std::uint64_t>(message.published_at_ms));
  put_u64(out, static_cast<std::uint64_t>(message.expires_at_ms));
  put_text(out, journaled.publisher);
  put_text(out, journaled.network);
  out += static_cast<char>(journaled.prompt ? kPrompt : 0);
  return out;
}

Result<JournaledMessage> decode_message(std::string_view bytes) {
  if (bytes.empty() || bytes[0] != kVersion) return fail(malformed("message"));
  Reader in(bytes.substr(1));
  JournaledMessage journaled{StoredMessage{}};
  StoredMessage& message = journaled.message;
  message.topic = in.text();
  message.message = in.text();
  message.tag = static_cast<std::int64_t>(in.u64());
  message.published_at_ms = static_cast<std::int64_t>(in.u64());
  message.expires_at_ms = static_cast<std::int64_t>(in.u64());
  journaled.publisher = in.text();
  journaled.network = in.text();
  const std::uint8_t flags = in.u8();
  if (!in.done() || (flags & ~kPrompt) != 0) return fail(malformed("message"));
  journaled.prompt = (flags & kPrompt) != 0;
  return journaled;
}

std::string encode_acks(std::span<const StoredAck> acks) {
  std::string out(1, kVersion);
  put_u32(out, static_cast<std::uint32_t>(acks.size()));
  for (const StoredAck& ack : acks) {
    put_text(out, ack.client_id);
    put_text(out, ack.topic);
    put_u64(out, ack.seq);
  }
  return out;
}

Result<std::vector<StoredAck>> decode_acks(std::string_view bytes) {
  if (bytes.empty() || bytes[0] != kVersion) return fail(malformed("ack"));
  Reader in(bytes.substr(1));
  const std::uint32_t count = in.u32();
  // Each ack takes 16 bytes at least: a count the bytes cannot hold is refused before any allocation.
  constexpr std::size_t kSmallestAck = 4 + 4 + 8;
  if (count > in.left() / kSmallestAck) return fail(malformed("ack"));
  std::vector<StoredAck> acks(count);
  for (StoredAck& ack : acks) {
    ack.client_id = in.text();
    ack.topic = in.text();
    ack.seq = in.u64();
  }
  if (!in.done()) return fail(malformed("ack"));
  return acks;
}

}  // namespace keylink::relay::cluster
