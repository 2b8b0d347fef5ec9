#include "relay_bench_ws.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <random>

#include "keylink/base/encoding.h"

namespace keylink::bench {
namespace {

namespace http = boost::beast::http;

constexpr std::size_t kFirstReadSize = 8 * 1024;  // idle connections stay small
constexpr std::size_t kMaxReadSize = 1024 * 1024;
constexpr std::uint64_t kMaxMessage = 16 * 1024 * 1024;
constexpr std::uint8_t kText = 0x1, kClose = 0x8, kPing = 0x9, kPong = 0xA;

// RFC 6455 4.2.2: base64(SHA-1(key ‖ GUID)).
std::string expected_accept(const std::string& key) {
  const std::string input = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  EVP_Digest(input.data(), input.size(), digest.data(), &size, EVP_sha1(), nullptr);
  return to_base64(ByteView(digest.data(), size));
}

std::uint64_t next_random(std::uint64_t& state) {  // xorshift64*: mask keys need not be secret here
  state ^= state >> 12;
  state ^= state << 25;
  state ^= state >> 27;
  return state * 0x2545F4914F6CDD1DULL;
}

// RFC 6455 5.3: a client masks every frame; XOR with the 4-byte key, 8 bytes at a time.
void mask_copy(char* out, const char* in, std::size_t size, const std::array<char, 4>& key) {
  std::uint64_t key8;
  std::memcpy(&key8, key.data(), 4);
  std::memcpy(reinterpret_cast<char*>(&key8) + 4, key.data(), 4);
  std::size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    std::uint64_t word;
    std::memcpy(&word, in + i, 8);
    word ^= key8;
    std::memcpy(out + i, &word, 8);
  }
  for (; i < size; ++i) out[i] = static_cast<char>(in[i] ^ key[i & 3]);
}

}  // namespace

struct WsConnection::Upgrade {
  std::string key;
  http::request<http::empty_body> request;
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> response;
};

WsConnection::WsConnection(asio::io_context& io) : socket_(io), mask_state_(std::random_device{}() | 1) {
  mask_state_ = (mask_state_ << 32) ^ std::random_device{}() ^ reinterpret_cast<std::uintptr_t>(this);
  if (mask_state_ == 0) mask_state_ = 1;
}

WsConnection::~WsConnection() = default;

void WsConnection::open(const tcp::endpoint& server, const std::optional<asio::ip::address>& source, std::string host,
                        std::string target) {
  upgrade_ = std::make_unique<Upgrade>();
  std::array<std::uint8_t, 16> nonce;
  for (std::size_t i = 0; i < nonce.size(); ++i) nonce[i] = static_cast<std::uint8_t>(next_random(mask_state_));
  upgrade_->key = to_base64(nonce);
  auto& request = upgrade_->request;
  request.method(http::verb::get);
  request.target(target);
  request.version(11);
  request.set(http::field::host, host);
  request.set(http::field::upgrade, "websocket");
  request.set(http::field::connection, "Upgrade");
  request.set(http::field::sec_websocket_key, upgrade_->key);
  request.set(http::field::sec_websocket_version, "13");

  boost::system::error_code ec;
  socket_.open(server.protocol(), ec);
  if (!ec && source) socket_.bind(tcp::endpoint(*source, 0), ec);
  if (ec) {
    asio::post(socket_.get_executor(), [this, ec] { fail("cannot bind the source address: " + ec.message()); });
    return;
  }
  socket_.async_connect(server, [this](const boost::system::error_code& e) { on_connected(e); });
}

void WsConnection::on_connected(const boost::system::error_code& ec) {
  if (ended_) return;
  if (ec) return fail("connect: " + ec.message());
  boost::system::error_code ignored;
  socket_.set_option(tcp::no_delay(true), ignored);
  http::async_write(socket_, upgrade_->request, [this](const boost::system::error_code& e, std::size_t) {
    if (ended_) return;
    if (e) return fail("upgrade request: " + e.message());
    http::async_read(socket_, upgrade_->buffer, upgrade_->response,
                     [this](const boost::system::error_code& e2, std::size_t) { on_upgraded(e2); });
  });
}

void WsConnection::on_upgraded(const boost::system::error_code& ec) {
  if (ended_) return;
  if (ec) return fail("upgrade response: " + ec.message());
  const auto& response = upgrade_->response;
  if (response.result() != http::status::switching_protocols) {
    return fail("upgrade refused: " + std::to_string(response.result_int()) + " " + response.body());
  }
  if (response[http::field::sec_websocket_accept] != expected_accept(upgrade_->key)) {
    return fail("upgrade: wrong Sec-WebSocket-Accept");
  }
  // Frames the server sent right after its 101 (a NATS INFO) are already in the HTTP buffer.
  const auto extra = upgrade_->buffer.data();
  in_.resize(std::max(kFirstReadSize, extra.size() * 2));
  in_end_ = asio::buffer_copy(asio::buffer(in_), extra);
  upgrade_.reset();
  open_ = true;
  on_open();
  if (!handle_frames()) return;
  on_read_batch_done();
  flush();
  read_next();
}

void WsConnection::read_next() {
  if (ended_) return;
  if (in_begin_ > 0) {  // move the partial frame to the front
    std::memmove(in_.data(), in_.data() + in_begin_, in_end_ - in_begin_);
    in_end_ -= in_begin_;
    in_begin_ = 0;
  }
  if (in_.size() - in_end_ < kFirstReadSize / 2) in_.resize(in_.size() * 2);
  socket_.async_read_some(asio::buffer(in_.data() + in_end_, in_.size() - in_end_),
                          [this](const boost::system::error_code& ec, std::size_t n) { on_read(ec, n); });
}

void WsConnection::on_read(const boost::system::error_code& ec, std::size_t n) {
  if (ended_) return;
  if (ec == asio::error::eof) return fail("the server closed the TCP connection");
  if (ec) return fail("read: " + ec.message());
  // A read that filled the buffer means more was waiting: read more at a time, up to kMaxReadSize.
  const bool filled = in_end_ + n == in_.size();
  in_end_ += n;
  if (!handle_frames()) return;
  on_read_batch_done();
  flush();
  if (filled && in_.size() < kMaxReadSize) in_.resize(in_.size() * 2);
  read_next();
}

bool WsConnection::handle_frames() {
  while (!ended_) {
    const std::size_t available = in_end_ - in_begin_;
    if (available < 2) break;
    const auto* p = reinterpret_cast<const std::uint8_t*>(in_.data() + in_begin_);
    if (p[1] & 0x80) {
      fail("the server sent a masked frame");
      break;
    }
    std::size_t header = 2;
    std::uint64_t size = p[1] & 0x7f;
    if (size == 126) {
      if (available < 4) break;
      size = (std::uint64_t{p[2]} << 8) | p[3];
      header = 4;
    } else if (size == 127) {
      if (available < 10) break;
      size = 0;
      for (int i = 2; i < 10; ++i) size = (size << 8) | p[i];
      header = 10;
    }
    if (size > kMaxMessage) {
      fail("a frame larger than 16 MiB");
      break;
    }
    if (available < header + size) {
      if (in_.size() - in_begin_ < header + size) in_.resize(in_begin_ + header + size + kFirstReadSize);
      break;
    }
    const std::uint8_t opcode = p[0] & 0x0f;
    const bool fin = (p[0] & 0x80) != 0;
    const std::string_view payload(in_.data() + in_begin_ + header, static_cast<std::size_t>(size));
    in_begin_ += header + static_cast<std::size_t>(size);
    ++frames_in_;
    if (opcode >= kClose) {
      handle_control(opcode, payload);
    } else if (opcode == 0) {  // continuation
      if (!in_fragment_) {
        fail("a continuation frame outside a message");
        break;
      }
      fragments_.append(payload);
      if (fin) {
        in_fragment_ = false;
        on_message(fragments_);
        fragments_.clear();
      }
    } else if (!fin) {
      in_fragment_ = true;
      fragments_.assign(payload);
    } else {
      on_message(payload);
    }
  }
  if (ended_) return false;
  if (in_begin_ == in_end_) in_begin_ = in_end_ = 0;
  return true;
}

void WsConnection::handle_control(std::uint8_t opcode, std::string_view payload) {
  if (opcode == kPing) return queue_frame(kPong, payload);
  if (opcode != kClose) return;
  if (closing_) return force_close();  // the answer to our close
  std::string why = "the server closed the WebSocket";
  if (payload.size() >= 2) {
    const auto code =
        (static_cast<unsigned>(static_cast<std::uint8_t>(payload[0])) << 8) | static_cast<std::uint8_t>(payload[1]);
    why += " with " + std::to_string(code);
    if (payload.size() > 2) why += " \"" + std::string(payload.substr(2)) + "\"";
  }
  fail(why);
}

void WsConnection::send_text(std::string_view payload) {
  if (!closing_ && !ended_) queue_frame(kText, payload);  // nothing may follow our close frame
}

void WsConnection::queue_frame(std::uint8_t opcode, std::string_view payload) {
  const std::size_t size = payload.size();
  const std::size_t length_bytes = size < 126 ? 0 : size <= 0xffff ? 2 : 8;
  const std::size_t at = out_.size();
  out_.resize(at + 2 + length_bytes + 4 + size);  // no reallocation once the buffer has grown
  char* p = out_.data() + at;
  *p++ = static_cast<char>(0x80 | opcode);
  if (length_bytes == 0) {
    *p++ = static_cast<char>(0x80 | size);
  } else if (length_bytes == 2) {
    *p++ = static_cast<char>(0x80 | 126);
    *p++ = static_cast<char>(size >> 8);
    *p++ = static_cast<char>(size);
  } else {
    *p++ = static_cast<char>(0x80 | 127);
    for (int shift = 56; shift >= 0; shift -= 8) *p++ = static_cast<char>(size >> shift);
  }
  const std::uint64_t random = next_random(mask_state_);
  std::array<char, 4> key;
  std::memcpy(key.data(), &random, 4);
  std::memcpy(p, key.data(), 4);
  mask_copy(p + 4, payload.data(), size, key);
  ++frames_out_;
}

void WsConnection::flush() {
  if (write_in_flight_ || out_.empty() || ended_ || !open_) return;
  std::swap(out_, writing_);
  out_.clear();
  write_in_flight_ = true;
  asio::async_write(socket_, asio::buffer(writing_),
                    [this](const boost::system::error_code& ec, std::size_t) { on_written(ec); });
}

void WsConnection::on_written(const boost::system::error_code& ec) {
  write_in_flight_ = false;
  if (ended_) return;
  if (ec) return fail("write: " + ec.message());
  bytes_out_ += writing_.size();
  writing_.clear();
  if (!closing_) on_write_done();
  flush();
}

void WsConnection::close() {
  if (!open_ || closing_ || ended_) return;
  closing_ = true;
  const char normal[2] = {0x03, static_cast<char>(0xe8)};  // 1000
  queue_frame(kClose, std::string_view(normal, 2));
  flush();
}

void WsConnection::force_close() {
  if (ended_) return;
  ended_ = true;
  open_ = false;
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

void WsConnection::fail(const std::string& why) {
  if (ended_) return;
  const bool was_closing = closing_;
  force_close();
  if (!was_closing) on_failed(why);
}

}  // namespace keylink::bench
