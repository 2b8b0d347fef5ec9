// The WebSocket framing of RFC 6455 as a server speaks it: parsing what clients send (masked frames,
// possibly fragmented, with control frames between the fragments) and framing what it sends (unmasked).
// Sans-IO: bytes in, events out, so that the relay can handle every frame of a socket read before
// writing once, and so that a fuzzer can drive it. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace keylink::relay {

enum class Opcode : std::uint8_t { kContinuation = 0, kText = 1, kBinary = 2, kClose = 8, kPing = 9, kPong = 10 };

// Close codes (RFC 6455 section 7.4.1).
inline constexpr std::uint16_t kCloseNormal = 1000;
inline constexpr std::uint16_t kCloseGoingAway = 1001;
inline constexpr std::uint16_t kCloseProtocolError = 1002;
inline constexpr std::uint16_t kCloseUnsupportedData = 1003;
inline constexpr std::uint16_t kCloseInvalidPayload = 1007;
inline constexpr std::uint16_t kClosePolicy = 1008;
inline constexpr std::uint16_t kCloseTooBig = 1009;
inline constexpr std::uint16_t kCloseTryAgainLater = 1013;

class FrameParser {
 public:
  struct Visitor {
    virtual ~Visitor() = default;
    // A whole text message, valid UTF-8. The view lives until the next call to parse().
    virtual void on_text(std::string_view message) = 0;
    virtual void on_ping(std::string_view payload) = 0;
    virtual void on_pong() = 0;
    // The peer's close frame: its code (1005 when it sent none) and reason.
    virtual void on_close(std::uint16_t code, std::string_view reason) = 0;
    // The peer broke the protocol or a limit: close with this code and reason; parse() stops.
    virtual void on_error(std::uint16_t code, std::string_view reason) = 0;
  };

  explicit FrameParser(std::size_t max_message_bytes) : max_message_bytes_(max_message_bytes) {}

  // Parses the whole frames at the start of `bytes` (unmasking them in place) and returns how many bytes
  // they took; the rest is an incomplete frame to pass again with more bytes after it. After on_error
  // or on_close it parses nothing more.
  std::size_t parse(std::span<char> bytes, Visitor& visitor);

  // How many bytes (header included) the incomplete frame that the last parse() stopped at needs in all,
  // once its header passed every check: at most max_message_bytes plus a header. 0 when its header is
  // not all there yet, when parse() stopped at no frame, and once the parser is done. The only length
  // a reader may size its buffer from: a length the peer declares is checked before it sizes anything.
  std::size_t next_frame_size() const noexcept { return next_frame_size_; }
  // After on_error or on_close: nothing more will be parsed, so nothing more need be read.
  bool done() const noexcept { return done_; }

 private:
  bool handle(Opcode opcode, bool fin, std::span<char> payload, Visitor& visitor);

  std::size_t max_message_bytes_;
  std::string fragments_;                      // a fragmented message being assembled
  Opcode fragmented_ = Opcode::kContinuation;  // the opcode of that message, or kContinuation for none
  std::size_t next_frame_size_ = 0;
  bool done_ = false;
};

// Appends one unfragmented, unmasked frame.
void append_frame(std::string& out, Opcode opcode, std::string_view payload);
// Appends a close frame with a code and a reason (cut to the 123 bytes a close frame can carry).
void append_close_frame(std::string& out, std::uint16_t code, std::string_view reason);

}  // namespace keylink::relay
