// The WebSocket client connection of relay_bench, the relay load generator.
//
// Beast does the HTTP upgrade; the frames are encoded and decoded here, because a load generator that
// makes one socket write per frame measures its own system calls, not the server. Every frame queued
// while a write is in flight goes out in the next single write (batched writes), and one read hands over
// every frame it holds before the next read is started.
//
// Thread-safety: none; a connection lives on one io_context run by one thread.
// Lifetime: the io_context must outlive the connection, and the connection must outlive its pending
// operations: close it (or force_close() it) and run the io_context dry before destroying it.
#pragma once

// Boost 1.74 + g++ 12 + C++20: <utility> must come before <boost/asio.hpp>.
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace keylink::bench {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

class WsConnection {
 public:
  explicit WsConnection(asio::io_context& io);
  virtual ~WsConnection();
  WsConnection(const WsConnection&) = delete;
  WsConnection& operator=(const WsConnection&) = delete;

  // Connects from `source` (when set) to `server` and upgrades with "GET <target>" and "Host: <host>".
  // on_open() or on_failed() follows.
  void open(const tcp::endpoint& server, const std::optional<asio::ip::address>& source, std::string host,
            std::string target);

  // Queues one masked text frame; it is written with everything else queued, by flush() or by the end of
  // the write in flight.
  void send_text(std::string_view payload);
  void flush();

  // Sends close 1000 and closes the socket once the server answers (or force_close() is called).
  void close();
  // Closes the socket now; pending operations end with operation_aborted.
  void force_close();

  bool is_open() const { return open_; }
  // A write is in flight: what is queued now waits for it.
  bool writing() const { return write_in_flight_; }
  std::uint64_t frames_in() const { return frames_in_; }
  std::uint64_t frames_out() const { return frames_out_; }
  std::uint64_t bytes_out() const { return bytes_out_; }

 protected:
  virtual void on_open() = 0;
  // A complete text or binary message. The view is valid during the call only.
  virtual void on_message(std::string_view payload) = 0;
  // After every frame of one read was handed to on_message().
  virtual void on_read_batch_done() {}
  // A write completed: what is queued from here on goes out in the next one.
  virtual void on_write_done() {}
  // Connect or upgrade failed, the server closed the connection, or a read or write failed; not called
  // after close() or force_close().
  virtual void on_failed(const std::string& why) = 0;

 private:
  void on_connected(const boost::system::error_code& ec);
  void on_upgraded(const boost::system::error_code& ec);
  void read_next();
  void on_read(const boost::system::error_code& ec, std::size_t n);
  // Hands every complete frame in the read buffer to its handler; false once the connection ended.
  bool handle_frames();
  void handle_control(std::uint8_t opcode, std::string_view payload);
  void queue_frame(std::uint8_t opcode, std::string_view payload);
  void on_written(const boost::system::error_code& ec);
  void fail(const std::string& why);

  struct Upgrade;  // the HTTP request, response and key of the handshake

  tcp::socket socket_;
  std::unique_ptr<Upgrade> upgrade_;
  std::vector<char> in_;  // [in_begin_, in_end_) holds unparsed bytes
  std::size_t in_begin_ = 0;
  std::size_t in_end_ = 0;
  std::string fragments_;  // a fragmented message being assembled
  bool in_fragment_ = false;
  std::vector<char> out_;      // frames queued for the next write
  std::vector<char> writing_;  // frames of the write in flight
  bool write_in_flight_ = false;
  bool open_ = false;
  bool closing_ = false;
  bool ended_ = false;
  std::uint64_t mask_state_;
  std::uint64_t frames_in_ = 0;
  std::uint64_t frames_out_ = 0;
  std::uint64_t bytes_out_ = 0;
};

}  // namespace keylink::bench
