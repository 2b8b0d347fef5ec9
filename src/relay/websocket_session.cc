#include "websocket_session.h"

#include "keylink/relay/logfmt.h"

namespace keylink::relay {
namespace {

// The read buffer starts small, so that idle connections cost little, doubles while reads fill it, and
// goes back to small once a busy spell is over. Its largest size is each connection's share of a turn
// of the event loop: about 75 publishes. With 256 KiB a publisher that never pauses got 600 per turn
// while a subscriber fed from its mailbox waited several turns per window of deliveries: at 1 M
// messages/s offered the relay stored 300 k/s and delivered 50 k/s. With 32 KiB it delivers what it
// stores, and its peak with 1,000 in flight did not move beyond the noise (docs/benchmarks.md).
constexpr std::size_t kFirstRead = 2 * 1024;
constexpr std::size_t kMaxRead = 32 * 1024;
// How long the peer has to answer our close frame before the connection is just dropped.
constexpr std::chrono::seconds kCloseTimeout{10};
// The same for a refused client, which the relay owes nothing but the chance to read its close frame.
constexpr std::chrono::seconds kRefusalTimeout{5};

}  // namespace

template <class Stream>
BasicWebsocketSession<Stream>::BasicWebsocketSession(Stream stream, std::string client_id, std::string ip,
                                                     std::string from_network, std::shared_ptr<ServerState> server)
    : Peer(std::move(client_id)),
      socket_(std::move(stream)),
      ip_(std::move(ip)),
      server_(std::move(server)),
      parser_(server_->options.limits.max_frame_bytes),
      read_buffer_(kFirstRead),
      timer_(server_->io) {
  network = std::move(from_network);
}

template <class Stream>
void BasicWebsocketSession<Stream>::start() {
  server_->sessions.insert(this);
  ++server_->sessions_per_ip[network];
  attached_ = true;
  server_->handler.attach(*this);
  last_heard_ = std::chrono::steady_clock::now();
  tick();
  read();
}

template <class Stream>
void BasicWebsocketSession<Stream>::refuse(std::uint16_t code, std::string_view reason) {
  // The client may have sent frames already (its subscribe): closing the socket with them unread makes
  // the kernel reset the connection, and the reset can overtake the close frame. So, as close() does,
  // shut down our sending side only and read (dropping everything but the client's close frame) until
  // the client closes, or kRefusalTimeout. The session never attached: it is nobody's peer.
  queue_close(code, reason, AfterFlush::kShutdownSend);
  timer_.expires_after(kRefusalTimeout);
  timer_.async_wait([self = this->shared_from_this()](boost::system::error_code error) {
    if (!error) self->finish();
  });
  read();
}

template <class Stream>
void BasicWebsocketSession<Stream>::preload(std::string_view bytes) {
  if (bytes.empty()) return;
  if (read_buffer_.size() < bytes.size()) read_buffer_.resize(bytes.size());
  std::copy(bytes.begin(), bytes.end(), read_buffer_.begin());
  read_end_ = bytes.size();
  preloaded_ = true;
}

template <class Stream>
void BasicWebsocketSession<Stream>::read() {
  if (std::exchange(preloaded_, false)) {
    return asio::post(server_->io, [self = this->shared_from_this()] { self->on_read({}, 0); });
  }
  if (read_end_ == read_buffer_.size()) read_buffer_.resize(2 * read_buffer_.size());
  socket_.async_read_some(asio::buffer(read_buffer_.data() + read_end_, read_buffer_.size() - read_end_),
                          [self = this->shared_from_this()](boost::system::error_code error, std::size_t size) {
                            self->on_read(error, size);
                          });
}

template <class Stream>
void BasicWebsocketSession<Stream>::on_read(boost::system::error_code error, std::size_t size) {
  if (error || finished_) return finish();
  // What one connection sends must not end the relay: an exception (std::bad_alloc, say) while its bytes
  // are handled ends that connection only.
  try {
    handle_read(size);
  } catch (const std::exception& e) {
    ++server_->handler.metrics().errors["exception"];
    server_->options.log->error("msg=\"connection dropped after an exception\" ip={} client={} what={}", ip_,
                                client_id(), logfmt_value(e.what()));
    finish();
  }
}

template <class Stream>
void BasicWebsocketSession<Stream>::handle_read(std::size_t size) {
  last_heard_ = std::chrono::steady_clock::now();
  const bool filled = read_end_ + size == read_buffer_.size();
  read_end_ += size;
  const std::size_t used = parser_.parse(std::span(read_buffer_.data(), read_end_), *this);
  if (attached_) server_->handler.on_read_end(*this);
  std::copy(read_buffer_.begin() + static_cast<std::ptrdiff_t>(used),
            read_buffer_.begin() + static_cast<std::ptrdiff_t>(read_end_), read_buffer_.begin());
  read_end_ -= used;
  // After the peer's close frame or a protocol error the parser reads nothing more: neither do we (our
  // close frame is on its way, and the connection ends once it is out, or after kCloseTimeout).
  if (finished_ || parser_.done()) return;
  // A frame larger than the buffer: room for all of it. Only the parser's size of a frame whose header
  // it accepted counts, never the length a refused header declares (which could be 2^63 bytes).
  const std::size_t needed = parser_.next_frame_size();
  if (needed > read_buffer_.size()) {
    // While closing, only the peer's close frame is still of interest: a large frame is not waited for.
    if (closing_ && needed > kMaxRead) return finish();
    read_buffer_.resize(needed);
  } else if (filled && read_buffer_.size() < kMaxRead) {
    read_buffer_.resize(2 * read_buffer_.size());
  } else if (!filled && read_end_ == 0 && read_buffer_.size() > kFirstRead) {
    read_buffer_ = std::vector<char>(kFirstRead);
  }
  read();  // until the peer closes: a closing peer still sends its close frame
}

template <class Stream>
void BasicWebsocketSession<Stream>::on_text(std::string_view message) {
  if (!closing_) server_->handler.on_frame(*this, message);
}

template <class Stream>
void BasicWebsocketSession<Stream>::on_ping(std::string_view payload) {
  if (closing_) return;
  append_frame(pending_, Opcode::kPong, payload);
  schedule_flush();
}

template <class Stream>
void BasicWebsocketSession<Stream>::on_close(std::uint16_t code, std::string_view) {
  // The peer's close: answer it (RFC 6455 section 5.5.1) and go once the answer is out.
  if (closing_) return finish();
  answer_read();
  queue_close(code == 1005 ? kCloseNormal : code, "", AfterFlush::kFinish);
}

template <class Stream>
void BasicWebsocketSession<Stream>::on_error(std::uint16_t code, std::string_view reason) {
  // While closing, the parser has stopped, so nothing more is read: go once our close frame is out.
  if (closing_) {
    if (write_active_ || !pending_.empty()) return void(after_flush_ = AfterFlush::kFinish);
    return finish();
  }
  ++server_->handler.metrics().errors[code == kCloseTooBig           ? "frame_size"
                                      : code == kCloseInvalidPayload ? "utf8"
                                                                     : "protocol"];
  server_->options.log->info("msg=\"protocol error\" ip={} client={} code={} reason={}", ip_, client_id(), code,
                             logfmt_value(reason));
  answer_read();
  queue_close(code, reason, AfterFlush::kFinish);
}

// The frames of this read before the peer's close or error get their answers ahead of our close frame:
// the handler may hold some until the end of the read.
template <class Stream>
void BasicWebsocketSession<Stream>::answer_read() {
  if (attached_) server_->handler.on_read_end(*this);
}

template <class Stream>
void BasicWebsocketSession<Stream>::send(std::string_view frame) {
  if (!attached_ || closing_ || finished_) return;
  const std::size_t limit = server_->options.limits.max_queued_bytes;
  if (pending_.size() + writing_.size() + frame.size() > limit) {
    ++server_->handler.metrics().errors["slow_consumer"];
    return close(kClosePolicy, "slow consumer: over " + std::to_string(limit) + " bytes queued (--max-queued-bytes)");
  }
  append_frame(pending_, Opcode::kText, frame);
  schedule_flush();
}

template <class Stream>
void BasicWebsocketSession<Stream>::close(std::uint16_t code, std::string_view reason) {
  if (closing_ || finished_) return;
  server_->options.log->info("msg=\"closing\" ip={} client={} code={} reason={}", ip_, client_id(), code,
                             logfmt_value(reason));
  pending_.clear();  // whole frames only: what was not on its way yet is dropped, the peer is going
  queue_close(code, reason, AfterFlush::kShutdownSend);
}

template <class Stream>
void BasicWebsocketSession<Stream>::queue_close(std::uint16_t code, std::string_view reason, AfterFlush then) {
  if (closing_ || finished_) return;
  closing_ = true;
  closing_since_ = std::chrono::steady_clock::now();
  append_close_frame(pending_, code, reason);
  after_flush_ = then;
  schedule_flush();
}

// Writes are posted, so every frame of the socket reads now being handled joins one write.
template <class Stream>
void BasicWebsocketSession<Stream>::schedule_flush() {
  if (flush_scheduled_ || write_active_) return;
  flush_scheduled_ = true;
  asio::post(server_->io, [self = this->shared_from_this()] {
    self->flush_scheduled_ = false;
    self->flush();
  });
}

template <class Stream>
void BasicWebsocketSession<Stream>::flush() {
  if (write_active_ || finished_) return;
  if (pending_.empty()) {
    boost::system::error_code ignored;
    if (after_flush_ == AfterFlush::kShutdownSend)
      tcp_socket(socket_).shutdown(asio::socket_base::shutdown_send, ignored);
    if (after_flush_ == AfterFlush::kFinish) finish();
    after_flush_ = AfterFlush::kNothing;
    return;
  }
  std::swap(pending_, writing_);
  write_active_ = true;
  asio::async_write(socket_, asio::buffer(writing_),
                    [self = this->shared_from_this()](boost::system::error_code error, std::size_t) {
                      self->write_active_ = false;
                      self->writing_.clear();
                      if (error) return self->finish();
                      self->flush();
                    });
}

// Every ping_interval: ping a peer quiet that long, drop one silent for idle_timeout, and drop one that
// has not answered our close frame in time.
template <class Stream>
void BasicWebsocketSession<Stream>::tick() {
  timer_.expires_after(server_->options.limits.ping_interval);
  timer_.async_wait([self = this->shared_from_this()](boost::system::error_code error) {
    if (error || self->finished_) return;
    const auto now = std::chrono::steady_clock::now();
    const Limits& limits = self->server_->options.limits;
    if (self->closing_) {
      if (now - self->closing_since_ >= kCloseTimeout) return self->finish();
    } else if (now - self->last_heard_ >= limits.idle_timeout) {
      ++self->server_->handler.metrics().errors["idle"];
      self->close(kCloseGoingAway, "silent for too long (--idle-timeout)");
    } else if (now - self->last_heard_ >= limits.ping_interval) {
      append_frame(self->pending_, Opcode::kPing, "");
      self->schedule_flush();
    }
    self->tick();
  });
}

template <class Stream>
void BasicWebsocketSession<Stream>::finish() {
  if (finished_) return;
  finished_ = true;
  timer_.cancel();
  if (attached_) {
    server_->options.log->debug("msg=\"disconnected\" ip={} client={}", ip_, client_id());
    server_->handler.detach(*this);
    attached_ = false;
    server_->sessions.erase(this);
    if (--server_->sessions_per_ip[network] == 0) server_->sessions_per_ip.erase(network);
    if (server_->draining && server_->sessions.empty() && server_->on_drained) std::exchange(server_->on_drained, {})();
  }
  boost::system::error_code ignored;
  tcp_socket(socket_).close(ignored);
}

template class BasicWebsocketSession<asio::ip::tcp::socket>;
template class BasicWebsocketSession<TlsStream>;

}  // namespace keylink::relay
