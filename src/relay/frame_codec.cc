#include "frame_codec.h"

#include <simdjson.h>

#include <cstring>

namespace keylink::relay {
namespace {

constexpr std::size_t kMaxControlPayload = 125;
constexpr std::uint16_t kCloseNoStatus = 1005;

struct Header {
  bool fin;
  std::uint8_t rsv;
  Opcode opcode;
  bool masked;
  std::uint64_t length;
  std::size_t size;  // of the header itself, mask included
};

// Reads a frame header (RFC 6455 section 5.2); false when it is not all there yet.
bool read_header(std::span<const char> bytes, Header& header) {
  if (bytes.size() < 2) return false;
  const auto b0 = static_cast<std::uint8_t>(bytes[0]), b1 = static_cast<std::uint8_t>(bytes[1]);
  header = {(b0 & 0x80) != 0,
            static_cast<std::uint8_t>((b0 >> 4) & 7),
            static_cast<Opcode>(b0 & 0x0f),
            (b1 & 0x80) != 0,
            b1 & 0x7fu,
            2};
  const std::size_t extra = header.length == 126 ? 2 : header.length == 127 ? 8 : 0;
  if (bytes.size() < 2 + extra) return false;
  if (extra != 0) {
    header.length = 0;
    for (std::size_t i = 0; i < extra; ++i)
      header.length = header.length << 8 | static_cast<std::uint8_t>(bytes[2 + i]);
  }
  header.size = 2 + extra + (header.masked ? 4 : 0);
  return bytes.size() >= header.size;
}

// XORs the payload with the 4-byte mask, 8 bytes at a time.
void unmask(std::span<char> payload, const char* mask) {
  std::uint64_t wide;
  char pattern[8];
  for (int i = 0; i < 8; ++i) pattern[i] = mask[i & 3];
  std::memcpy(&wide, pattern, 8);
  std::size_t i = 0;
  for (; i + 8 <= payload.size(); i += 8) {
    std::uint64_t chunk;
    std::memcpy(&chunk, payload.data() + i, 8);
    chunk ^= wide;
    std::memcpy(payload.data() + i, &chunk, 8);
  }
  for (; i < payload.size(); ++i) payload[i] = static_cast<char>(payload[i] ^ mask[i & 3]);
}

bool is_control(Opcode opcode) { return static_cast<std::uint8_t>(opcode) >= 8; }

bool is_known(Opcode opcode) {
  switch (opcode) {
    case Opcode::kContinuation:
    case Opcode::kText:
    case Opcode::kBinary:
    case Opcode::kClose:
    case Opcode::kPing:
    case Opcode::kPong: return true;
  }
  return false;
}

}  // namespace

std::size_t FrameParser::parse(std::span<char> bytes, Visitor& visitor) {
  std::size_t used = 0;
  next_frame_size_ = 0;
  while (!done_) {
    const std::span<char> rest = bytes.subspan(used);
    Header header;
    if (!read_header(rest, header)) break;
    std::uint16_t code = 0;
    std::string reason;
    if (header.rsv != 0) {
      code = kCloseProtocolError, reason = "reserved bits set: no extension was agreed";
    } else if (!header.masked) {
      code = kCloseProtocolError, reason = "client frames must be masked";
    } else if (!is_known(header.opcode)) {
      code = kCloseProtocolError, reason = "unknown opcode";
    } else if (is_control(header.opcode) && (!header.fin || header.length > kMaxControlPayload)) {
      code = kCloseProtocolError, reason = "control frames must be whole and at most 125 bytes";
    } else if (header.length > max_message_bytes_ - std::min(max_message_bytes_, fragments_.size())) {
      code = kCloseTooBig, reason = "message over " + std::to_string(max_message_bytes_) + " bytes (--max-frame-bytes)";
    }
    if (code != 0) {
      done_ = true;
      visitor.on_error(code, reason);
      break;
    }
    if (rest.size() - header.size < header.length) {
      next_frame_size_ = header.size + static_cast<std::size_t>(header.length);  // in bounds: checked above
      break;
    }
    std::span<char> payload = rest.subspan(header.size, static_cast<std::size_t>(header.length));
    unmask(payload, rest.data() + header.size - 4);
    used += header.size + payload.size();
    if (!handle(header.opcode, header.fin, payload, visitor)) break;
  }
  return used;
}

// One unmasked frame; false when the connection is done with.
bool FrameParser::handle(Opcode opcode, bool fin, std::span<char> payload, Visitor& visitor) {
  const std::string_view data(payload.data(), payload.size());
  auto error = [&](std::uint16_t code, std::string_view reason) {
    done_ = true;
    visitor.on_error(code, reason);
    return false;
  };
  switch (opcode) {
    case Opcode::kPing: visitor.on_ping(data); return true;
    case Opcode::kPong: visitor.on_pong(); return true;
    case Opcode::kClose: {
      done_ = true;
      if (data.size() == 1) return error(kCloseProtocolError, "close frame with a one-byte payload");
      const std::uint16_t code = data.size() < 2 ? kCloseNoStatus
                                                 : static_cast<std::uint16_t>(static_cast<std::uint8_t>(data[0]) << 8 |
                                                                              static_cast<std::uint8_t>(data[1]));
      visitor.on_close(code, data.size() < 2 ? std::string_view{} : data.substr(2));
      return false;
    }
    case Opcode::kText:
    case Opcode::kBinary:
      if (fragmented_ != Opcode::kContinuation)
        return error(kCloseProtocolError, "a new message before the last ended");
      if (!fin) {
        fragmented_ = opcode;
        fragments_.assign(data);
        return true;
      }
      break;
    case Opcode::kContinuation:
      if (fragmented_ == Opcode::kContinuation) return error(kCloseProtocolError, "a continuation with no message");
      fragments_ += data;
      if (!fin) return true;
      opcode = std::exchange(fragmented_, Opcode::kContinuation);
      break;
  }
  const std::string_view message = fragments_.empty() ? data : std::string_view(fragments_);
  if (opcode == Opcode::kBinary)
    return error(kCloseUnsupportedData, "binary frames are not supported: send JSON-RPC as text");
  if (!simdjson::validate_utf8(message.data(), message.size()))
    return error(kCloseInvalidPayload, "text is not valid UTF-8");
  visitor.on_text(message);
  fragments_.clear();
  return true;
}

void append_frame(std::string& out, Opcode opcode, std::string_view payload) {
  out.push_back(static_cast<char>(0x80 | static_cast<std::uint8_t>(opcode)));  // FIN
  if (payload.size() < 126) {
    out.push_back(static_cast<char>(payload.size()));
  } else if (payload.size() <= 0xffff) {
    out += {static_cast<char>(126), static_cast<char>(payload.size() >> 8), static_cast<char>(payload.size() & 0xff)};
  } else {
    out.push_back(static_cast<char>(127));
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((payload.size() >> shift) & 0xff));
  }
  out += payload;
}

void append_close_frame(std::string& out, std::uint16_t code, std::string_view reason) {
  std::string payload{static_cast<char>(code >> 8), static_cast<char>(code & 0xff)};
  payload += reason.substr(0, kMaxControlPayload - 2);
  append_frame(out, Opcode::kClose, payload);
}

}  // namespace keylink::relay
