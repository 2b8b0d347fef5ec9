// A TCP stream under Beast's WebSocket that batches both directions, which is what moves a relay from
// ~270k to millions of frames per second:
// - writes are copied into a buffer and complete at once; the buffer goes out in one socket write once
//   the current handlers have run, or as soon as the write before it finishes;
// - the relay's own text frames skip Beast's write path: append_text_frame() frames them straight into
//   that buffer (a server's frames are unmasked, so framing is a header and a copy);
// - reads fill a 64 KiB buffer and serve Beast's small reads from it, so one syscall reads many frames.
// Not thread-safe: one event loop.
#pragma once

#include <utility>  // before Boost.Asio: Boost 1.74 with g++ 12 in C++20 needs it

#include <array>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace keylink::relay {

namespace asio = boost::asio;
namespace beast = boost::beast;

class CorkedStream {
 public:
  using executor_type = asio::ip::tcp::socket::executor_type;

  explicit CorkedStream(asio::ip::tcp::socket socket) : state_(std::make_shared<State>(std::move(socket))) {}

  executor_type get_executor() noexcept { return state_->socket.get_executor(); }
  asio::ip::tcp::socket& socket() noexcept { return state_->socket; }
  // Bytes accepted but not yet written to the socket.
  std::size_t queued_bytes() const noexcept { return state_->pending.size() + state_->writing.size(); }

  template <class Buffers, class Handler>
  auto async_read_some(const Buffers& buffers, Handler&& handler) {
    return asio::async_initiate<Handler, void(beast::error_code, std::size_t)>(
        [state = state_](auto completion, const Buffers& out) {
          if (state->read_begin < state->read_end) {
            const std::size_t size = state->take(out);
            return asio::post(state->socket.get_executor(),
                              beast::bind_front_handler(std::move(completion), beast::error_code{}, size));
          }
          state->socket.async_read_some(
              asio::buffer(state->read_buffer),
              [state, out, completion = std::move(completion)](beast::error_code error, std::size_t size) mutable {
                state->read_begin = 0;
                state->read_end = error ? 0 : size;
                completion(error, error ? 0 : state->take(out));
              });
        },
        handler, buffers);
  }

  // Queues one unfragmented text frame (RFC 6455 section 5.2, unmasked as a server sends it).
  void append_text_frame(std::string_view payload) {
    std::string& out = state_->pending;
    out.push_back(static_cast<char>(0x81));  // FIN, text
    if (payload.size() < 126) {
      out.push_back(static_cast<char>(payload.size()));
    } else if (payload.size() <= 0xffff) {
      out += {static_cast<char>(126), static_cast<char>(payload.size() >> 8), static_cast<char>(payload.size() & 0xff)};
    } else {
      out.push_back(static_cast<char>(127));
      for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((payload.size() >> shift) & 0xff));
    }
    out += payload;
    schedule_flush(state_);
  }

  template <class Buffers, class Handler>
  auto async_write_some(const Buffers& buffers, Handler&& handler) {
    return asio::async_initiate<Handler, void(beast::error_code, std::size_t)>(
        [state = state_](auto completion, const Buffers& data) {
          const beast::error_code error = state->error;
          std::size_t size = 0;
          if (!error) {
            size = asio::buffer_size(data);
            const std::size_t old = state->pending.size();
            state->pending.resize(old + size);
            asio::buffer_copy(asio::buffer(state->pending.data() + old, size), data);
            schedule_flush(state);
          }
          asio::post(state->socket.get_executor(), beast::bind_front_handler(std::move(completion), error, size));
        },
        handler, buffers);
  }

  // Runs `then` once everything accepted so far is written (or the socket failed).
  void when_flushed(std::function<void()> then) {
    state_->waiters.push_back(std::move(then));
    schedule_flush(state_);
  }

 private:
  struct State {
    explicit State(asio::ip::tcp::socket s) : socket(std::move(s)) {}
    asio::ip::tcp::socket socket;
    std::string pending;  // filled while `writing` is on its way
    std::string writing;
    bool scheduled = false;
    bool active = false;
    beast::error_code error;
    std::vector<std::function<void()>> waiters;
    std::array<char, 64 * 1024> read_buffer;
    std::size_t read_begin = 0;
    std::size_t read_end = 0;

    template <class Buffers>
    std::size_t take(const Buffers& out) {
      const std::size_t size =
          asio::buffer_copy(out, asio::buffer(read_buffer.data() + read_begin, read_end - read_begin));
      read_begin += size;
      return size;
    }
  };

  static void schedule_flush(const std::shared_ptr<State>& state) {
    if (state->scheduled || state->active) return;
    state->scheduled = true;
    asio::post(state->socket.get_executor(), [state] {
      state->scheduled = false;
      flush(state);
    });
  }

  // Handlers hold the state, so a write in flight outlives the session that started it.
  static void flush(const std::shared_ptr<State>& state) {
    if (state->active) return;
    if (state->pending.empty() || state->error) {
      for (auto& waiter : std::exchange(state->waiters, {})) waiter();
      return;
    }
    std::swap(state->pending, state->writing);
    state->active = true;
    asio::async_write(state->socket, asio::buffer(state->writing), [state](beast::error_code error, std::size_t) {
      state->active = false;
      state->writing.clear();
      if (error) state->error = error;
      flush(state);
    });
  }

  std::shared_ptr<State> state_;
};

// Beast's closing handshake ends with these (found by argument-dependent lookup): write what is
// queued, then shut the TCP connection down as Beast does for a plain socket.
template <class Handler>
void async_teardown(beast::role_type role, CorkedStream& stream, Handler&& handler) {
  auto shared = std::make_shared<std::decay_t<Handler>>(std::forward<Handler>(handler));
  stream.when_flushed([role, &socket = stream.socket(), shared] {
    beast::websocket::async_teardown(role, socket, std::move(*shared));
  });
}

inline void teardown(beast::role_type role, CorkedStream& stream, beast::error_code& error) {
  beast::websocket::teardown(role, stream.socket(), error);
}

// Beast closes the lowest layer when a handshake times out.
inline void beast_close_socket(CorkedStream& stream) {
  beast::error_code ignored;
  stream.socket().close(ignored);
}

}  // namespace keylink::relay
