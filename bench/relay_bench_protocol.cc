#include "relay_bench_protocol.h"

#include <charconv>
#include <cstring>

namespace keylink::bench {
namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr std::size_t kIdDigits = 19;  // WalletConnect clients send 19-digit ids
constexpr std::uint64_t kFirstId = 1'700'000'000'000'000'000ULL;

void put_hex16(char* out, std::uint64_t value) {
  for (int i = 15; i >= 0; --i, value >>= 4) out[i] = kHex[value & 0xf];
}

void put_decimal19(char* out, std::uint64_t value) {
  for (int i = static_cast<int>(kIdDigits) - 1; i >= 0; --i, value /= 10) out[i] = static_cast<char>('0' + value % 10);
}

std::size_t skip_space(std::string_view s, std::size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')) ++i;
  return i;
}

// The index just past the string that starts at s[i] == '"', or npos.
std::size_t skip_string(std::string_view s, std::size_t i) {
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

// The index just past the JSON value that starts at s[i], or npos.
std::size_t skip_value(std::string_view s, std::size_t i) {
  if (i >= s.size()) return std::string_view::npos;
  if (s[i] == '"') return skip_string(s, i);
  if (s[i] == '{' || s[i] == '[') {
    int depth = 0;
    while (i < s.size()) {
      const char c = s[i];
      if (c == '"') {
        i = skip_string(s, i);
        if (i == std::string_view::npos) return i;
        continue;
      }
      if (c == '{' || c == '[') ++depth;
      if (c == '}' || c == ']') {
        if (--depth == 0) return i + 1;
      }
      ++i;
    }
    return std::string_view::npos;
  }
  while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ') ++i;
  return i;
}

std::string_view unquote(std::string_view value) {
  if (value.size() >= 2 && value.front() == '"') return value.substr(1, value.size() - 2);
  return value;
}

std::string_view find_message(std::string_view frame) {
  constexpr std::string_view kKey = "\"message\":\"";
  const auto at = frame.find(kKey);
  if (at == std::string_view::npos) return {};
  const auto begin = at + kKey.size();
  const auto end = frame.find('"', begin);
  if (end == std::string_view::npos) return {};
  return frame.substr(begin, end - begin);
}

// {"id":<id>,... — how our relay, the forwarder and the node relay write every frame.
bool scan_fast(std::string_view frame, RpcFrame& out) {
  constexpr std::string_view kHead = "{\"id\":";
  if (!frame.starts_with(kHead)) return false;
  const std::size_t begin = kHead.size();
  const std::size_t end = skip_value(frame, begin);
  if (end == std::string_view::npos || end >= frame.size()) return false;
  out.id = frame.substr(begin, end - begin);
  const std::string_view rest = frame.substr(end);
  constexpr std::string_view kMethod = "\"method\":\"", kResult = "\"result\":", kError = "\"error\":";
  if (const auto m = rest.find(kMethod); m != std::string_view::npos) {
    const auto name = m + kMethod.size();
    const auto close = rest.find('"', name);
    if (close == std::string_view::npos) return false;
    out.method = rest.substr(name, close - name);
    out.message = find_message(rest.substr(close));
    return true;
  }
  if (const auto r = rest.find(kResult); r != std::string_view::npos) {
    const auto value = skip_space(rest, r + kResult.size());
    const auto value_end = skip_value(rest, value);
    if (value_end == std::string_view::npos) return false;
    out.is_result = true;
    out.result = rest.substr(value, value_end - value);
    return true;
  }
  out.is_error = rest.find(kError) != std::string_view::npos;
  return out.is_error;
}

bool scan_full(std::string_view frame, RpcFrame& out) {
  std::size_t i = skip_space(frame, 0);
  if (i >= frame.size() || frame[i] != '{') return false;
  i = skip_space(frame, i + 1);
  while (i < frame.size() && frame[i] != '}') {
    if (frame[i] != '"') return false;
    const std::size_t key_end = skip_string(frame, i);
    if (key_end == std::string_view::npos) return false;
    const std::string_view key = frame.substr(i + 1, key_end - i - 2);
    i = skip_space(frame, key_end);
    if (i >= frame.size() || frame[i] != ':') return false;
    const std::size_t value = skip_space(frame, i + 1);
    const std::size_t value_end = skip_value(frame, value);
    if (value_end == std::string_view::npos) return false;
    const std::string_view text = frame.substr(value, value_end - value);
    if (key == "id") out.id = text;
    if (key == "method") out.method = unquote(text);
    if (key == "result") out.is_result = true, out.result = text;
    if (key == "error") out.is_error = true;
    i = skip_space(frame, value_end);
    if (i < frame.size() && frame[i] == ',') i = skip_space(frame, i + 1);
  }
  if (!out.method.empty()) out.message = find_message(frame);
  return true;
}

}  // namespace

BenchMessage::BenchMessage(std::size_t size) {
  constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  text_.resize(size);
  for (std::size_t i = 0; i < size; ++i) text_[i] = kBase64[(i * 37 + 11) % 64];
  text_[size - 1] = '=';
  stamp(text_.data(), 0, 0);
}

void BenchMessage::stamp(char* text, std::uint64_t send_ns, std::uint64_t sequence) {
  put_hex16(text, send_ns);
  put_hex16(text + 16, sequence);
}

std::uint64_t BenchMessage::send_ns_of(std::string_view text) {
  if (text.size() < 16) return 0;
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + 16, value, 16);
  return ec == std::errc() && end == text.data() + 16 ? value : 0;
}

bool scan_rpc(std::string_view frame, RpcFrame& out) {
  out = RpcFrame{};
  if (scan_fast(frame, out)) return true;
  out = RpcFrame{};
  return scan_full(frame, out);
}

RpcPublishTemplate::RpcPublishTemplate(std::string_view topic, const BenchMessage& message) {
  frame_ = "{\"id\":";
  id_at_ = frame_.size();
  frame_.append(kIdDigits, '0');
  frame_ += ",\"jsonrpc\":\"2.0\",\"method\":\"irn_publish\",\"params\":{\"topic\":\"";
  frame_ += topic;
  frame_ += "\",\"message\":\"";
  message_at_ = frame_.size();
  frame_ += message.text();
  frame_ += "\",\"ttl\":300,\"tag\":1000}}";
}

std::string_view RpcPublishTemplate::make(std::uint64_t id, std::uint64_t send_ns, std::uint64_t sequence) {
  put_decimal19(frame_.data() + id_at_, kFirstId + id);
  BenchMessage::stamp(frame_.data() + message_at_, send_ns, sequence);
  return frame_;
}

std::string rpc_subscribe(std::uint64_t id, std::string_view topic) {
  std::string frame = "{\"id\":" + std::to_string(kFirstId + id) +
                      ",\"jsonrpc\":\"2.0\",\"method\":\"irn_subscribe\",\"params\":{\"topic\":\"";
  frame += topic;
  frame += "\"}}";
  return frame;
}

std::string rpc_ack(std::string_view id) {
  std::string frame = "{\"id\":";
  frame += id;
  frame += ",\"jsonrpc\":\"2.0\",\"result\":true}";
  return frame;
}

NatsPublishTemplate::NatsPublishTemplate(std::string_view subject, const BenchMessage& message) {
  frame_ = "PUB ";
  frame_ += subject;
  frame_ += ' ';
  frame_ += std::to_string(message.text().size());
  frame_ += "\r\n";
  message_at_ = frame_.size();
  frame_ += message.text();
  frame_ += "\r\n";
}

std::string_view NatsPublishTemplate::make(std::uint64_t send_ns, std::uint64_t sequence) {
  BenchMessage::stamp(frame_.data() + message_at_, send_ns, sequence);
  return frame_;
}

bool NatsReader::feed(std::string_view bytes, const Handler& handler) {
  buffer_.append(bytes);
  const std::string_view all = buffer_;
  bool keep_going = true;
  while (keep_going) {
    const auto eol = all.find("\r\n", begin_);
    if (eol == std::string_view::npos) break;
    const std::string_view line = all.substr(begin_, eol - begin_);
    if (line.starts_with("MSG ")) {  // MSG <subject> <sid> [reply-to] <#bytes>
      std::size_t size = 0;
      const auto last = line.rfind(' ');
      const auto [ptr, ec] = std::from_chars(line.data() + last + 1, line.data() + line.size(), size);
      if (ec != std::errc()) return why_ = "a MSG line without a size", false;
      if (all.size() < eol + 2 + size + 2) break;  // the payload is still on its way
      keep_going = handler(Op::kMsg, all.substr(eol + 2, size));
      begin_ = eol + 2 + size + 2;
      continue;
    }
    Op op;
    if (line == "+OK") {
      op = Op::kOk;
    } else if (line == "PING") {
      op = Op::kPing;
    } else if (line == "PONG") {
      op = Op::kPong;
    } else if (line.starts_with("-ERR")) {
      op = Op::kErr;
    } else if (line.starts_with("INFO")) {
      op = Op::kInfo;
    } else {
      return why_ = "an unknown NATS operation: " + std::string(line.substr(0, 40)), false;
    }
    keep_going = handler(op, line.size() > 4 ? line.substr(5) : std::string_view());
    begin_ = eol + 2;
  }
  if (begin_ == buffer_.size()) {
    buffer_.clear();
    begin_ = 0;
  } else if (begin_ > 64 * 1024) {
    buffer_.erase(0, begin_);
    begin_ = 0;
  }
  return keep_going;
}

}  // namespace keylink::bench
