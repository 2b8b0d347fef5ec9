// LanLinkChannel: link messages as length-prefixed frames on one TCP connection (link_channel.h).
#include <algorithm>
#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <deque>

#include "keylink/runtime/link_channel.h"
#include "lan_frame.h"

namespace keylink::runtime {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using SteadyTime = std::chrono::steady_clock::time_point;

namespace {

constexpr std::size_t kReadChunk = 16 << 10;
constexpr int kBacklog = 4;  // one peer at a time: the rest are turned away anyway
constexpr std::chrono::milliseconds kAcceptRetry{100};

std::string format_endpoint(const tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return host + ":" + std::to_string(endpoint.port());
}

Result<tcp::endpoint> parse_endpoint(const std::string& text) {
  auto bad = [&] {
    return fail(LinkChannelErrc::kBadOption, "LAN link: \"" + text.substr(0, 64) + "\" is not IP:PORT or [IPv6]:PORT");
  };
  std::string host;
  std::string_view port;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string::npos || text.compare(close, 2, "]:") != 0) return bad();
    host = text.substr(1, close - 1);
    port = std::string_view(text).substr(close + 2);
  } else {
    const auto colon = text.find(':');
    if (colon == std::string::npos || text.find(':', colon + 1) != std::string::npos) return bad();
    host = text.substr(0, colon);
    port = std::string_view(text).substr(colon + 1);
  }
  std::uint16_t number = 0;
  const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (port.empty() || error != std::errc() || end != port.data() + port.size() || number == 0) return bad();
  boost::system::error_code invalid;
  const auto address = asio::ip::make_address(host, invalid);
  if (invalid) return bad();
  return tcp::endpoint(address, number);
}

// One TCP connection to the peer. Its handlers hold it, so the socket never dies under a pending
// operation; the channel holds it while it is the current connection and ignores it afterwards.
struct Connection {
  Connection(asio::io_context& io, std::size_t max_frame)
      : socket(io), read_timer(io), write_timer(io), decoder(max_frame) {}

  tcp::socket socket;
  asio::steady_timer read_timer;  // connect_timeout, then the read deadline
  asio::steady_timer write_timer;
  SteadyTime read_deadline{};
  SteadyTime write_deadline{};
  lan::FrameDecoder decoder;
  std::array<std::uint8_t, kReadChunk> buffer{};
  std::deque<Bytes> queue;  // frames to write, the front one being written
  std::size_t queued_bytes = 0;
  bool writing = false;
  bool got_frame = false;  // a whole frame came on this connection
  bool draining = false;   // stopped while writing: the queued frames still go, then it closes
};

void close(Connection& connection) {
  boost::system::error_code ignored;
  connection.socket.shutdown(tcp::socket::shutdown_both, ignored);
  connection.socket.close(ignored);
  connection.read_timer.cancel();
  connection.write_timer.cancel();
}

// After stop(): the frame being written is done; the rest of the queue goes (each within
// write_timeout), then the connection closes. It needs nothing of the channel, which may be gone: a
// link's last acknowledgment reaches the peer even when the link ends with it.
void drain(const std::shared_ptr<Connection>& connection, std::chrono::milliseconds write_timeout) {
  connection->queue.pop_front();
  if (connection->queue.empty()) return close(*connection);
  connection->write_timer.expires_after(write_timeout);
  connection->write_timer.async_wait([connection](boost::system::error_code error) {
    if (!error) close(*connection);
  });
  asio::async_write(connection->socket, asio::buffer(connection->queue.front()),
                    [connection, write_timeout](boost::system::error_code error, std::size_t) {
                      connection->write_timer.cancel();
                      if (error) return close(*connection);
                      drain(connection, write_timeout);
                    });
}

Error timeout(std::string what, std::chrono::milliseconds limit) {
  return Error{make_error_code(LinkChannelErrc::kTimeout),
               "LAN link: " + std::move(what) + " within " + std::to_string(limit.count()) + " ms"};
}

}  // namespace

struct LanLinkChannel::Impl : std::enable_shared_from_this<Impl> {
  enum class Role { kListener, kConnector };

  Impl(asio::io_context& io_context, Role role_in, LanLinkOptions lan_options, LinkChannelCallbacks link_callbacks)
      : io(io_context),
        role(role_in),
        options(lan_options),
        callbacks(std::move(link_callbacks)),
        acceptor(io_context),
        accept_retry(io_context) {}

  // --- Listener -----------------------------------------------------------------------------------

  Result<void> listen(const tcp::endpoint& where) {
    boost::system::error_code error;
    acceptor.open(where.protocol(), error);
    if (!error) acceptor.set_option(tcp::acceptor::reuse_address(true), error);
    if (!error) acceptor.bind(where, error);
    if (!error) acceptor.listen(kBacklog, error);
    if (error) {
      return fail(LinkChannelErrc::kRefused,
                  "LAN link: cannot listen on " + format_endpoint(where) + ": " + error.message());
    }
    address = format_endpoint(acceptor.local_endpoint(error));
    accept();
    return {};
  }

  void accept() {
    acceptor.async_accept([weak = weak_from_this()](boost::system::error_code error, tcp::socket socket) {
      auto self = weak.lock();
      if (!self || self->stopped) return;
      if (error) return self->accept_later();  // out of descriptors, a connection reset before accept, ...
      self->on_accepted(std::move(socket));
      if (!self->stopped) self->accept();
    });
  }

  void accept_later() {
    accept_retry.expires_after(kAcceptRetry);
    accept_retry.async_wait([weak = weak_from_this()](boost::system::error_code error) {
      auto self = weak.lock();
      if (!error && self && !self->stopped) self->accept();
    });
  }

  void on_accepted(tcp::socket socket) {
    if (conn) {
      ++stats.refused_connections;
      boost::system::error_code ignored;
      socket.shutdown(tcp::socket::shutdown_both, ignored);
      socket.close(ignored);
      return;
    }
    auto fresh = std::make_shared<Connection>(io, options.max_message);
    fresh->socket = std::move(socket);
    adopt(fresh);
  }

  // --- Connector ----------------------------------------------------------------------------------

  void connect(const tcp::endpoint& target) {
    address = format_endpoint(target);
    auto fresh = std::make_shared<Connection>(io, options.max_message);
    connecting = fresh;
    fresh->read_timer.expires_after(options.connect_timeout);
    fresh->read_timer.async_wait([weak = weak_from_this(), fresh](boost::system::error_code error) {
      auto self = weak.lock();
      if (error || !self || self->connecting != fresh) return;
      self->connecting = nullptr;
      close(*fresh);
      self->down(timeout("cannot connect to " + self->address, self->options.connect_timeout));
    });
    fresh->socket.async_connect(target, [weak = weak_from_this(), fresh](boost::system::error_code error) {
      auto self = weak.lock();
      if (!self || self->connecting != fresh) return;
      self->connecting = nullptr;
      fresh->read_timer.cancel();
      if (error) {
        close(*fresh);
        return self->down(Error{make_error_code(LinkChannelErrc::kRefused),
                                "LAN link: cannot connect to " + self->address + ": " + error.message()});
      }
      self->adopt(fresh);
    });
  }

  // --- The peer connection ------------------------------------------------------------------------

  void adopt(const std::shared_ptr<Connection>& fresh) {
    conn = fresh;
    boost::system::error_code ignored;
    fresh->socket.set_option(tcp::no_delay(true), ignored);
    // A listener's connector sends first: one that stays silent loses the slot at read_timeout.
    set_read_deadline(fresh, std::chrono::steady_clock::now() +
                                 (role == Role::kListener ? options.read_timeout : options.idle_timeout));
    read(fresh);
    if (callbacks.on_up) callbacks.on_up();
  }

  void read(const std::shared_ptr<Connection>& current) {
    current->socket.async_read_some(asio::buffer(current->buffer), [weak = weak_from_this(), current](
                                                                       boost::system::error_code error, std::size_t n) {
      auto self = weak.lock();
      if (!self || self->conn != current) return;
      if (error) {
        const std::string why = error == asio::error::eof ? "the peer closed the connection" : error.message();
        return self->drop(current, Error{make_error_code(LinkChannelErrc::kPeerGone), "LAN link: " + why});
      }
      self->on_bytes(current, n);
    });
  }

  void on_bytes(const std::shared_ptr<Connection>& current, std::size_t n) {
    const bool was_mid_frame = current->decoder.mid_frame();
    std::vector<Bytes> frames;
    auto fed = current->decoder.feed(ByteView(current->buffer.data(), n), frames);
    // The frames before one over the cap were whole and within it: they go up first.
    for (Bytes& frame : frames) {
      current->got_frame = true;
      ++stats.messages_received;
      if (callbacks.on_message) callbacks.on_message(std::move(frame));
      if (conn != current) return;  // stopped from the callback
    }
    if (!fed) {
      ++stats.dropped_too_large;
      return drop(current, fed.error());
    }
    const auto now = std::chrono::steady_clock::now();
    SteadyTime deadline = frames.empty() ? current->read_deadline : now + options.idle_timeout;
    // A frame begun here is whole within read_timeout, however slowly its bytes trickle in.
    if (current->decoder.mid_frame() && (!was_mid_frame || !frames.empty())) {
      deadline = std::min(deadline, now + options.read_timeout);
    }
    if (deadline != current->read_deadline) set_read_deadline(current, deadline);
    read(current);
  }

  void set_read_deadline(const std::shared_ptr<Connection>& current, SteadyTime deadline) {
    current->read_deadline = deadline;
    current->read_timer.expires_at(deadline);
    current->read_timer.async_wait([weak = weak_from_this(), current](boost::system::error_code error) {
      auto self = weak.lock();
      // A wait that completed just before the deadline moved is stale: the deadline decides.
      if (error || !self || self->conn != current || std::chrono::steady_clock::now() < current->read_deadline) return;
      self->drop(current, self->read_timeout_error(*current));
    });
  }

  Error read_timeout_error(const Connection& current) const {
    if (current.decoder.mid_frame()) return timeout("the peer did not finish its frame", options.read_timeout);
    if (role == Role::kListener && !current.got_frame) {
      return timeout("the peer sent no frame after connecting", options.read_timeout);
    }
    return timeout("the peer sent nothing", options.idle_timeout);
  }

  Result<void> send(ByteView message) {
    if (stopped || !conn) return fail(LinkChannelErrc::kNotConnected, "LAN link: no peer is connected");
    if (message.size() > options.max_message) {
      return fail(LinkChannelErrc::kTooLarge, "LAN link: a message of " + std::to_string(message.size()) +
                                                  " bytes is over the limit of " + std::to_string(options.max_message));
    }
    const std::size_t size = lan::kFrameHeaderSize + message.size();
    if (conn->queued_bytes + size > options.max_queued_bytes) {
      return fail(LinkChannelErrc::kBusy,
                  "LAN link: " + std::to_string(conn->queued_bytes) + " bytes wait for the peer to read already");
    }
    conn->queue.push_back(lan::encode_frame(message));
    conn->queued_bytes += size;
    ++stats.messages_sent;
    if (!conn->writing) write_next(conn);
    return {};
  }

  void write_next(const std::shared_ptr<Connection>& current) {
    current->writing = true;
    current->write_deadline = std::chrono::steady_clock::now() + options.write_timeout;
    current->write_timer.expires_at(current->write_deadline);
    current->write_timer.async_wait([weak = weak_from_this(), current](boost::system::error_code error) {
      const bool late = !error && std::chrono::steady_clock::now() >= current->write_deadline;
      if (current->draining) return late ? close(*current) : void();
      auto self = weak.lock();
      if (error || !self || self->conn != current || !current->writing ||
          std::chrono::steady_clock::now() < current->write_deadline) {
        return;
      }
      self->drop(current, timeout("the peer did not read a frame", self->options.write_timeout));
    });
    asio::async_write(current->socket, asio::buffer(current->queue.front()),
                      [weak = weak_from_this(), current, write_timeout = options.write_timeout](
                          boost::system::error_code error, std::size_t) {
                        if (current->draining) return error ? close(*current) : drain(current, write_timeout);
                        auto self = weak.lock();
                        if (!self || self->conn != current) return;
                        current->writing = false;
                        current->write_timer.cancel();
                        if (error) {
                          return self->drop(current, Error{make_error_code(LinkChannelErrc::kPeerGone),
                                                           "LAN link: cannot write to the peer: " + error.message()});
                        }
                        current->queued_bytes -= current->queue.front().size();
                        current->queue.pop_front();
                        if (!current->queue.empty()) self->write_next(current);
                      });
  }

  // Ends the peer connection: a listener goes on accepting, a connector is done.
  void drop(const std::shared_ptr<Connection>& current, Error why) {
    if (conn != current) return;
    conn = nullptr;
    close(*current);
    down(std::move(why));
  }

  void down(Error why) {
    if (!stopped && callbacks.on_down) callbacks.on_down(why);
  }

  void stop() {
    if (stopped) return;
    stopped = true;
    boost::system::error_code ignored;
    acceptor.close(ignored);
    accept_retry.cancel();
    if (auto gone = std::exchange(conn, nullptr)) {
      if (gone->writing) {
        gone->draining = true;  // what was sent before stop() still goes
        gone->read_timer.cancel();
        gone->socket.shutdown(tcp::socket::shutdown_receive, ignored);
      } else {
        close(*gone);
      }
    }
    if (auto gone = std::exchange(connecting, nullptr)) close(*gone);
  }

  asio::io_context& io;
  const Role role;
  const LanLinkOptions options;
  const LinkChannelCallbacks callbacks;
  LinkChannelStats stats;
  std::string address;  // the listener's bound address, or the connector's target
  bool stopped = false;
  tcp::acceptor acceptor;
  asio::steady_timer accept_retry;
  std::shared_ptr<Connection> connecting;  // a connector's connection until it is up
  std::shared_ptr<Connection> conn;        // the peer connection, while it is up
};

namespace {

Result<void> check(const LanLinkOptions& options) {
  if (options.max_message == 0 || options.max_message > UINT32_MAX ||
      options.max_queued_bytes < options.max_message + lan::kFrameHeaderSize) {
    return fail(LinkChannelErrc::kBadOption,
                "LAN link: max_message must be 1 to 2^32-1 bytes and max_queued_bytes hold one whole frame");
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<LanLinkChannel>> LanLinkChannel::listen(boost::asio::io_context& io, const std::string& host,
                                                               std::uint16_t port, LanLinkOptions options,
                                                               LinkChannelCallbacks callbacks) {
  if (auto checked = check(options); !checked) return fail(checked.error());
  boost::system::error_code invalid;
  const auto address = asio::ip::make_address(host, invalid);
  if (invalid)
    return fail(LinkChannelErrc::kBadOption, "LAN link: \"" + host.substr(0, 64) + "\" is not an IP address");
  auto impl = std::make_shared<Impl>(io, Impl::Role::kListener, options, std::move(callbacks));
  if (auto listening = impl->listen(tcp::endpoint(address, port)); !listening) return fail(listening.error());
  return std::unique_ptr<LanLinkChannel>(new LanLinkChannel(std::move(impl)));
}

Result<std::unique_ptr<LanLinkChannel>> LanLinkChannel::connect(boost::asio::io_context& io, const std::string& address,
                                                                LanLinkOptions options,
                                                                LinkChannelCallbacks callbacks) {
  if (auto checked = check(options); !checked) return fail(checked.error());
  auto target = parse_endpoint(address);
  if (!target) return fail(target.error());
  auto impl = std::make_shared<Impl>(io, Impl::Role::kConnector, options, std::move(callbacks));
  impl->connect(*target);
  return std::unique_ptr<LanLinkChannel>(new LanLinkChannel(std::move(impl)));
}

LanLinkChannel::LanLinkChannel(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
LanLinkChannel::~LanLinkChannel() { impl_->stop(); }

std::string LanLinkChannel::address() const { return impl_->address; }
Result<void> LanLinkChannel::send(ByteView message) { return impl_->send(message); }
void LanLinkChannel::stop() { impl_->stop(); }
bool LanLinkChannel::up() const noexcept { return impl_->conn != nullptr && !impl_->stopped; }
const LinkChannelStats& LanLinkChannel::stats() const noexcept { return impl_->stats; }

}  // namespace keylink::runtime
