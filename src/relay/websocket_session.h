// One WebSocket connection after the upgrade: reads whole socket buffers, hands every complete frame
// in them to the PeerHandler, and only then writes what those frames produced, in one socket write per
// connection. A bounded outbound buffer closes a slow consumer; a quiet peer is pinged and a silent one
// dropped. Not thread-safe: one event loop.
//
// A template over the stream, so that ws:// (a plain socket) and wss:// (TLS over a socket) each get
// their own code and the plain path pays nothing per frame for TLS being possible.
#pragma once

#include <utility>  // before Boost.Asio (Boost 1.74, g++ 12, C++20)

#include <boost/asio.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "frame_codec.h"
#include "keylink/relay/peer.h"
#include "server_state.h"

namespace keylink::relay {

// Stream: asio::ip::tcp::socket or TlsStream (server_state.h), connected and upgraded.
template <class Stream>
class BasicWebsocketSession final : public Peer,
                                    public FrameParser::Visitor,
                                    public std::enable_shared_from_this<BasicWebsocketSession<Stream>> {
 public:
  // `from_network` is network_of(ip): what the per-IP limits count by.
  BasicWebsocketSession(Stream stream, std::string client_id, std::string ip, std::string from_network,
                        std::shared_ptr<ServerState> server);

  // Bytes the client sent after its upgrade request, which the HTTP reader had read with it: they are
  // handled first, as if just read. REQUIRES: before start() or refuse(); at most a request's size.
  void preload(std::string_view bytes);
  // Serves the peer once the 101 response is written, until it goes.
  void start();
  // A refused client: sends a close frame with `code` and `reason` at once, then reads and drops what
  // the client sends until its close frame, its EOF, or 5 s, and goes. Never attaches to the handler.
  void refuse(std::uint16_t code, std::string_view reason);

  void send(std::string_view frame) override;
  void close(std::uint16_t code, std::string_view reason) override;
  void prefetch_send() const override { __builtin_prefetch(pending_.data() + pending_.size(), 1); }

 private:
  enum class AfterFlush { kNothing, kShutdownSend, kFinish };

  void on_text(std::string_view message) override;
  void on_ping(std::string_view payload) override;
  void on_pong() override {}
  void on_close(std::uint16_t code, std::string_view reason) override;
  void on_error(std::uint16_t code, std::string_view reason) override;

  void answer_read();
  void read();
  void on_read(boost::system::error_code error, std::size_t size);
  void handle_read(std::size_t size);
  void queue_close(std::uint16_t code, std::string_view reason, AfterFlush then);
  void schedule_flush();
  void flush();
  void tick();
  void finish();

  Stream socket_;
  std::string ip_;
  std::shared_ptr<ServerState> server_;
  FrameParser parser_;
  std::vector<char> read_buffer_;
  std::size_t read_end_ = 0;
  std::string pending_;  // frames queued while `writing_` is on its way
  std::string writing_;
  bool preloaded_ = false;
  bool flush_scheduled_ = false;
  bool write_active_ = false;
  AfterFlush after_flush_ = AfterFlush::kNothing;
  bool attached_ = false;
  bool closing_ = false;  // our close frame is queued: nothing else goes out
  bool finished_ = false;
  asio::steady_timer timer_;
  std::chrono::steady_clock::time_point last_heard_;
  std::chrono::steady_clock::time_point closing_since_;
};

using WebsocketSession = BasicWebsocketSession<asio::ip::tcp::socket>;
using TlsWebsocketSession = BasicWebsocketSession<TlsStream>;

}  // namespace keylink::relay
