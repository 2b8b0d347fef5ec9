// KeystoreSocketServer: the keystore's Unix socket (keystore_socket_server.h).
#include "keylink/runtime/keystore_socket_server.h"

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/write.hpp>
#include <array>
#include <cstring>
#include <deque>
#include <filesystem>
#include <set>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keylink/identity/keystore_errors.h"
#include "keylink/keystore/rpc.h"
#include "lan_frame.h"

namespace keylink::runtime {
namespace asio = boost::asio;
using local = asio::local::stream_protocol;

namespace {

constexpr std::size_t kReadChunk = 16 << 10;
// Answers queued for a peer that does not read them: past this, it is dropped.
constexpr std::size_t kMaxQueuedBytes = 4 * kKeystoreSocketMaxFrame;

Error io_error(const std::string& what, int error_number) {
  return Error{std::error_code(error_number, std::system_category()), what + ": " + std::strerror(error_number)};
}

std::optional<SocketPeer> peer_of(local::socket& socket) {
  ucred credentials{};
  socklen_t size = sizeof credentials;
  if (::getsockopt(socket.native_handle(), SOL_SOCKET, SO_PEERCRED, &credentials, &size) != 0) return std::nullopt;
  SocketPeer peer{.uid = credentials.uid, .pid = credentials.pid, .exe = {}};
  std::error_code ignored;
  peer.exe = std::filesystem::read_symlink("/proc/" + std::to_string(credentials.pid) + "/exe", ignored).string();
  return peer;
}

wire::RpcResponse error_response(std::optional<wire::RpcId> id, std::int64_t code, std::string message) {
  return {std::move(id), wire::RpcError{code, std::move(message), {}}};
}

}  // namespace

struct KeystoreSocketServer::State : std::enable_shared_from_this<KeystoreSocketServer::State> {
  State(asio::io_context& io_in, std::string path_in, KeystoreSocketHandlers handlers_in)
      : io(io_in), acceptor(io_in), path(std::move(path_in)), handlers(std::move(handlers_in)) {}

  // One app's connection. Its handlers hold it; the server holds it until it closes.
  struct Connection {
    explicit Connection(asio::io_context& io) : socket(io), decoder(kKeystoreSocketMaxFrame) {}
    local::socket socket;
    SocketPeer peer;
    lan::FrameDecoder decoder;
    std::array<std::uint8_t, kReadChunk> buffer{};
    std::deque<Bytes> queue;  // frames to write, the front one being written
    std::size_t queued_bytes = 0;
    std::string channel;      // "local:" + approval once keylink_hello was answered
  };

  asio::io_context& io;
  local::acceptor acceptor;
  std::string path;
  KeystoreSocketHandlers handlers;
  std::set<std::shared_ptr<Connection>> connections;
  bool closed = false;

  void accept() {
    acceptor.async_accept([self = shared_from_this()](boost::system::error_code error, local::socket socket) {
      if (self->closed) return;
      if (!error) self->admit(std::move(socket));
      self->accept();
    });
  }

  void admit(local::socket socket) {
    auto connection = std::make_shared<Connection>(io);
    connection->socket = std::move(socket);
    const auto peer = peer_of(connection->socket);
    // The socket is 0600, so only this user reaches it; the credentials say so again, whatever the file
    // mode became.
    if (!peer || peer->uid != ::geteuid() || connections.size() >= kKeystoreSocketMaxConnections) {
      boost::system::error_code ignored;
      connection->socket.close(ignored);
      return;
    }
    connection->peer = *peer;
    connections.insert(connection);
    read(connection);
  }

  void read(const std::shared_ptr<Connection>& connection) {
    connection->socket.async_read_some(
        asio::buffer(connection->buffer),
        [self = shared_from_this(), connection](boost::system::error_code error, std::size_t got) {
          if (self->closed) return;
          std::vector<Bytes> frames;
          if (error || !connection->decoder.feed(ByteView(connection->buffer.data(), got), frames)) {
            return self->drop(connection);
          }
          for (const auto& frame : frames) self->answer(connection, frame);
          self->read(connection);
        });
  }

  void answer(const std::shared_ptr<Connection>& connection, const Bytes& frame) {
    auto message = wire::parse_rpc_message(as_chars(frame));
    wire::RpcResponse response;
    if (!message || !std::holds_alternative<wire::RpcRequest>(*message)) {
      response = error_response(std::nullopt, wire::kRpcInvalidRequest,
                                message ? "a keystore socket takes requests only" : message.error().message);
    } else {
      auto& request = std::get<wire::RpcRequest>(*message);
      response = respond(*connection, request);
      if (!request.id) return;  // a notification gets no answer
    }
    write(connection, lan::encode_frame(as_bytes(wire::to_json_text(response))));
  }

  wire::RpcResponse respond(Connection& connection, const wire::RpcRequest& request) {
    RpcOutcome outcome;
    if (request.method == kHelloMethod) {
      outcome = handlers.on_hello(connection.peer, request.params);
      if (outcome) {
        const auto approval = outcome->find("approval");
        if (approval == outcome->end() || !approval->is_string()) {
          outcome = tl::unexpected(wire::RpcError{wire::kRpcInternalError, "the wallet named no approval", {}});
        } else {
          connection.channel = "local:" + approval->get<std::string>();
        }
      }
    } else if (connection.channel.empty()) {
      outcome = tl::unexpected(wire::RpcError{keystore::codes::kNoApproval, "say keylink_hello first: this connection has no approval", {}});
    } else {
      outcome = handlers.on_request(connection.channel, request.method, request.params);
    }
    if (!outcome) return {request.id, std::move(outcome.error())};
    return {request.id, std::move(*outcome)};
  }

  void write(const std::shared_ptr<Connection>& connection, Bytes frame) {
    if (connection->queued_bytes + frame.size() > kMaxQueuedBytes) return drop(connection);
    connection->queued_bytes += frame.size();
    connection->queue.push_back(std::move(frame));
    if (connection->queue.size() == 1) write_next(connection);
  }

  void write_next(const std::shared_ptr<Connection>& connection) {
    asio::async_write(connection->socket, asio::buffer(connection->queue.front()),
                      [self = shared_from_this(), connection](boost::system::error_code error, std::size_t) {
                        if (self->closed) return;
                        if (error) return self->drop(connection);
                        connection->queued_bytes -= connection->queue.front().size();
                        connection->queue.pop_front();
                        if (!connection->queue.empty()) self->write_next(connection);
                      });
  }

  void drop(const std::shared_ptr<Connection>& connection) {
    boost::system::error_code ignored;
    connection->socket.close(ignored);
    connections.erase(connection);
  }

  void close() {
    if (closed) return;
    closed = true;
    boost::system::error_code ignored;
    acceptor.close(ignored);
    for (const auto& connection : connections) connection->socket.close(ignored);
    connections.clear();
    ::unlink(path.c_str());
  }
};

Result<std::unique_ptr<KeystoreSocketServer>> KeystoreSocketServer::listen(asio::io_context& io, std::string path,
                                                                           KeystoreSocketHandlers handlers) {
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    return fail(identity::KeystoreErrc::kUnreachable, "socket path longer than " +
                                                          std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes");
  }
  struct stat existing {};
  if (::lstat(path.c_str(), &existing) == 0) {
    if (!S_ISSOCK(existing.st_mode)) return fail(io_error(path + " exists and is not a socket", EEXIST));
    local::socket probe(io);
    boost::system::error_code refused;
    probe.connect(local::endpoint(path), refused);
    if (!refused) return fail(io_error("a keystore already serves on " + path, EADDRINUSE));
    ::unlink(path.c_str());  // stale: its server is gone
  }
  auto state = std::make_shared<State>(io, std::move(path), std::move(handlers));
  boost::system::error_code error;
  state->acceptor.open(local(), error);
  // Made 0600 from the start: no moment at which another user could connect.
  const mode_t before = ::umask(0177);
  if (!error) state->acceptor.bind(local::endpoint(state->path), error);
  ::umask(before);
  if (!error) state->acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) return fail(io_error("cannot listen on " + state->path, error.value()));
  state->accept();
  return std::unique_ptr<KeystoreSocketServer>(new KeystoreSocketServer(std::move(state)));
}

KeystoreSocketServer::KeystoreSocketServer(std::shared_ptr<State> state) : state_(std::move(state)) {}
KeystoreSocketServer::~KeystoreSocketServer() { close(); }
void KeystoreSocketServer::close() { state_->close(); }
std::size_t KeystoreSocketServer::connections() const noexcept { return state_->connections.size(); }

}  // namespace keylink::runtime
