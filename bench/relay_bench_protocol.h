// The wire of relay_bench, the relay load generator: the frames it sends (WalletConnect relay JSON-RPC,
// or the NATS protocol) and the cheap readers of the frames it receives. The readers pick out only what
// a load generator needs (the id to ack, the message, result or error) without a full JSON parse, so the
// generator's CPU goes to moving frames.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace keylink::bench {

// The benchmark message: `size` characters of base64 text whose first 16 are the hex of the time it was
// due to be sent (nanoseconds on the generator's steady clock) and the next 16 a sequence number, so
// that no two messages are equal (a relay keeps one copy of equal messages on a topic).
// REQUIRES: size >= 40.
class BenchMessage {
 public:
  explicit BenchMessage(std::size_t size);
  // Writes the send time and sequence number into `text` (a copy of text() placed in a frame).
  static void stamp(char* text, std::uint64_t send_ns, std::uint64_t sequence);
  // The send time of a stamped message; 0 when the text is not one.
  static std::uint64_t send_ns_of(std::string_view text);
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

// A JSON-RPC frame as the relay sends it, as views into the frame.
struct RpcFrame {
  std::string_view id;       // the raw JSON value: a number, or a string with its quotes
  std::string_view method;   // set for a request
  std::string_view message;  // the first "message" string anywhere in it (params.data.message)
  std::string_view result;   // the raw JSON value, for a response with a result
  bool is_result = false;
  bool is_error = false;
};
// Reads the top-level id, method, result or error of a JSON-RPC object, and the "message" string. The
// common layout, {"id":… first, takes a fast path; any other order takes a full scan of the top level.
// Returns false for a frame that is not a JSON object.
bool scan_rpc(std::string_view frame, RpcFrame& out);

// The frames relay_bench sends, built once and patched in place for each message.
class RpcPublishTemplate {
 public:
  RpcPublishTemplate(std::string_view topic, const BenchMessage& message);
  // The frame for request `id` (at most 19 digits) carrying a message due at send_ns.
  std::string_view make(std::uint64_t id, std::uint64_t send_ns, std::uint64_t sequence);

 private:
  std::string frame_;
  std::size_t id_at_ = 0;
  std::size_t message_at_ = 0;
};
std::string rpc_subscribe(std::uint64_t id, std::string_view topic);
std::string rpc_ack(std::string_view id);  // {"id":<id>,"jsonrpc":"2.0","result":true}

// "PUB <subject> <n>\r\n<message>\r\n", one per frame.
class NatsPublishTemplate {
 public:
  NatsPublishTemplate(std::string_view subject, const BenchMessage& message);
  std::string_view make(std::uint64_t send_ns, std::uint64_t sequence);

 private:
  std::string frame_;
  std::size_t message_at_ = 0;
};

// The NATS protocol as a byte stream: WebSocket frames are only its transport, and nats-server puts
// several protocol messages in one frame. Keeps what a frame leaves incomplete for the next one.
class NatsReader {
 public:
  enum class Op { kInfo, kOk, kErr, kPing, kPong, kMsg };
  // Called once per protocol message; for kMsg `text` is the payload, for kErr and kInfo the rest of the
  // line. Returns false to stop reading.
  using Handler = std::function<bool(Op op, std::string_view text)>;
  // Returns false on a protocol error (with why()) or when the handler stopped.
  bool feed(std::string_view bytes, const Handler& handler);
  const std::string& why() const { return why_; }

 private:
  std::string buffer_;
  std::size_t begin_ = 0;
  std::string why_;
};

}  // namespace keylink::bench
