// The wallet's keystore socket played by an attacker with a raw socket: frames that are not JSON, a
// request before keylink_hello, a frame over 4 MiB, a notification, a half frame and a hang-up, a bad
// app signature, a replay, a method never allowed, a batch of 10,000: each gets its refusal (or the
// connection closes), the server keeps serving, and the audit log still verifies.
#include <utility>  // before Boost.Asio (Boost 1.74, g++ 12, C++20)

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

#include "identity/xmtp_test_wallet.h"
#include "keylink/base/encoding.h"
#include "keylink/keystore/app_request.h"
#include "keylink/keystore/local_keystore.h"
#include "keylink/runtime/keystore_socket_server.h"
#include "keylink/runtime/wallet_keystore.h"
#include "keylink/wire/xmtp/keystore_api.h"
#include "lan_frame.h"
#include "testing/temp_dir.h"

namespace keylink::runtime {
namespace {

namespace asio = boost::asio;
namespace codes = keystore::codes;

const crypto::Argon2Params kFastArgon2{1, std::size_t{8} << 20};

// A raw client: frames out, frames in, with a bound on every wait.
class RawClient {
 public:
  explicit RawClient(const std::string& path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    EXPECT_EQ(::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
  }
  ~RawClient() { ::close(fd_); }

  void send_raw(ByteView bytes) { EXPECT_EQ(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL), static_cast<ssize_t>(bytes.size())); }
  void send_text(std::string_view text) { send_raw(lan::encode_frame(as_bytes(text))); }
  // False once the server has closed the connection.
  bool try_send(ByteView bytes) {
    pollfd writable{.fd = fd_, .events = POLLOUT, .revents = 0};
    if (::poll(&writable, 1, 20000) != 1 || (writable.revents & (POLLERR | POLLHUP)) != 0) return false;
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
  }
  void send(std::int64_t id, const std::string& method, wire::Json params) {
    send_text(wire::to_json_text(wire::RpcRequest{id, method, std::move(params)}));
  }

  // The next response, or nullopt when the server closed the connection (or nothing came in 20 s).
  std::optional<wire::RpcResponse> receive() {
    std::vector<Bytes> frames;
    while (frames.empty()) {
      pollfd readable{.fd = fd_, .events = POLLIN, .revents = 0};
      if (::poll(&readable, 1, 20000) != 1) return std::nullopt;
      std::array<std::uint8_t, 65536> buffer{};
      const ssize_t got = ::recv(fd_, buffer.data(), buffer.size(), 0);
      if (got <= 0) return std::nullopt;
      EXPECT_TRUE(decoder_.feed(ByteView(buffer.data(), static_cast<std::size_t>(got)), frames));
    }
    auto message = wire::parse_rpc_message(as_chars(frames.front()));
    EXPECT_TRUE(message && std::holds_alternative<wire::RpcResponse>(*message));
    return std::get<wire::RpcResponse>(*message);
  }

  // The error code of the answer to a request, or 0 for a result.
  std::int64_t code_of(std::int64_t id, const std::string& method, wire::Json params) {
    send(id, method, std::move(params));
    auto response = receive();
    EXPECT_TRUE(response) << method << ": the connection closed";
    if (!response) return -1;
    return response->ok() ? 0 : response->error().code;
  }

 private:
  int fd_ = -1;
  lan::FrameDecoder decoder_{kKeystoreSocketMaxFrame};
};

class KeystoreSocketAttack : public ::testing::Test {
 protected:
  KeystoreSocketAttack()
      : home_(Home::open(dir_.path() / "wallet", SecretBytes(as_bytes("pass")), rng_, kFastArgon2).value()),
        local_(keystore::LocalKeystore::create(
                   wallet_.db, wallet_.vault, identity::XmtpIdentity::create(wallet_.account, clock_, wallet_.rng).value(),
                   wallet_.rng)
                   .value()),
        keystore_(*local_, home_.db(), home_.vault(), rng_, clock_) {
    auto server = KeystoreSocketServer::listen(
        io_, path_,
        {.on_hello = [this](const SocketPeer& peer,
                            const wire::Json& params) { return keystore_.hello(peer, params, [](auto&, auto&, auto&) { return true; }); },
         .on_request = [this](const std::string& channel, const std::string& method,
                              const wire::Json& params) { return keystore_.answer(channel, method, params); }});
    EXPECT_TRUE(server) << server.error().message;
    server_ = std::move(*server);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~KeystoreSocketAttack() override {
    asio::post(io_, [this] {
      server_->close();
      work_.reset();
    });
    thread_.join();
  }

  // Says hello with `key`; the approval's channel.
  std::string hello(RawClient& client, const crypto::Ed25519KeyPair& key) {
    client.send(1, "keylink_hello", {{"name", "attacker"}, {"url", "https://a.invalid"}, {"appKey", to_base64(key.public_key())}});
    auto response = client.receive();
    EXPECT_TRUE(response && response->ok());
    return "local:" + response->result()["approval"].get<std::string>();
  }

  // Still serving: a new connection is answered.
  void serves() {
    RawClient probe(path_);
    EXPECT_EQ(probe.code_of(99, "xmtp_getPublicKeyBundle", {}), codes::kNoApproval);
  }

  keylink::testing::TempDir dir_;
  std::string path_ = dir_.file("keystore.sock");
  FixedRng rng_{3};
  ManualClock clock_;
  identity::TestWallet wallet_{1};
  Home home_;
  std::unique_ptr<keystore::LocalKeystore> local_;
  WalletKeystore keystore_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  std::unique_ptr<KeystoreSocketServer> server_;
  std::thread thread_;
  crypto::Ed25519KeyPair app_key_ = crypto::Ed25519KeyPair::generate(rng_);
};

TEST_F(KeystoreSocketAttack, FramesThatAreNotRequestsAreRefusedAndTheConnectionGoesOn) {
  RawClient client(path_);
  client.send_text("not json at all");
  auto garbage = client.receive();
  ASSERT_TRUE(garbage);
  EXPECT_FALSE(garbage->ok());
  client.send_text(R"({"jsonrpc":"2.0","id":5,"result":true})");  // a response, not a request
  ASSERT_TRUE(client.receive());
  client.send_text(R"({"jsonrpc":"2.0","method":"xmtp_decryptV2","params":{}})");  // a notification: no answer
  EXPECT_EQ(client.code_of(2, "xmtp_decryptV2", {}), codes::kNoApproval);  // before hello
  EXPECT_EQ(client.code_of(3, "keylink_hello", {{"name", "x"}, {"appKey", "short"}}), codes::kInvalidParams);
  serves();
}

TEST_F(KeystoreSocketAttack, AFrameOver4MiBClosesTheConnectionOnly) {
  RawClient client(path_);
  const Bytes header = {0x00, 0x40, 0x00, 0x01};  // 4 MiB + 1, announced; nothing sized from it
  client.send_raw(header);
  EXPECT_FALSE(client.receive());
  RawClient half(path_);
  half.send_raw(Bytes{0x00, 0x00, 0x01, 0x00, '{'});  // a half frame, then the hang-up
  serves();
}

TEST_F(KeystoreSocketAttack, APeerThatNeverReadsItsAnswersIsDropped) {
  RawClient client(path_);
  const Bytes frame = lan::encode_frame(as_bytes(
      wire::to_json_text(wire::RpcRequest{1, std::string(200, 'x'), wire::Json::object()})));  // refused: no hello
  std::size_t sent = 0;
  for (; sent < 400'000; ++sent) {  // 16 MiB of answers queue up well before this
    if (!client.try_send(frame)) break;
  }
  EXPECT_LT(sent, 400'000u) << "the server kept every answer for a peer that reads none";
  serves();
}

TEST_F(KeystoreSocketAttack, RequestsThatDoNotProveTheAppAreRefusedAndLogged) {
  RawClient client(path_);
  const std::string channel = hello(client, app_key_);
  const auto sign = [&](const std::string& method, ByteView req, std::uint64_t counter) {
    return keystore::app_request_params(app_key_, channel, method, req, counter);
  };
  EXPECT_EQ(client.code_of(10, "xmtp_getPublicKeyBundle", sign("xmtp_getPublicKeyBundle", {}, 1)), 0);
  // Another key's signature; a captured request replayed; a method the approval lacks (push); one never allowed.
  const auto stranger = crypto::Ed25519KeyPair::generate(rng_);
  EXPECT_EQ(client.code_of(11, "xmtp_getPublicKeyBundle",
                           keystore::app_request_params(stranger, channel, "xmtp_getPublicKeyBundle", {}, 2)),
            codes::kBadAppSignature);
  EXPECT_EQ(client.code_of(12, "xmtp_getPublicKeyBundle", sign("xmtp_getPublicKeyBundle", {}, 1)),
            codes::kReplayedCounter);
  EXPECT_EQ(client.code_of(13, "xmtp_getV2ConversationHmacKeys", sign("xmtp_getV2ConversationHmacKeys", {}, 3)),
            codes::kNotGranted);
  EXPECT_EQ(client.code_of(14, "xmtp_getPrivateKeyBundle", sign("xmtp_getPrivateKeyBundle", {}, 4)),
            codes::kNotGranted);
  // A malformed protobuf, and a batch of 10,000 items.
  const Bytes junk = {0xff, 0xff, 0xff, 0xff};
  EXPECT_EQ(client.code_of(15, "xmtp_decryptV2", sign("xmtp_decryptV2", junk, 5)), codes::kInvalidParams);
  std::vector<wire::xmtp::keystore_api::DecryptV2Item> items(10'000);
  for (auto& item : items) item.content_topic = "/xmtp/0/m-x/proto";
  const Bytes batch = wire::xmtp::keystore_api::encode_decrypt_v2_request(items);
  EXPECT_EQ(client.code_of(16, "xmtp_decryptV2", sign("xmtp_decryptV2", batch, 6)), codes::kBatchTooLarge);
  // Revoked, then (another approval) expired.
  ASSERT_TRUE(keystore_.gate().approvals().revoke(channel.substr(6), clock_.now()));
  EXPECT_EQ(client.code_of(17, "xmtp_getPublicKeyBundle", sign("xmtp_getPublicKeyBundle", {}, 7)),
            codes::kApprovalRevoked);
  serves();
  EXPECT_TRUE(keystore_.gate().audit_log().verify());
}

TEST_F(KeystoreSocketAttack, AnApprovalEndsThirtyDaysAfterItsGrantWhateverItsUse) {
  RawClient client(path_);
  const std::string channel = hello(client, app_key_);
  clock_.set(clock_.now() + keystore::kApprovalLifetime - std::chrono::seconds(1));
  EXPECT_EQ(client.code_of(2, "xmtp_getPublicKeyBundle",
                           keystore::app_request_params(app_key_, channel, "xmtp_getPublicKeyBundle", {}, 1)),
            0);
  clock_.set(clock_.now() + std::chrono::seconds(1));
  EXPECT_EQ(client.code_of(3, "xmtp_getPublicKeyBundle",
                           keystore::app_request_params(app_key_, channel, "xmtp_getPublicKeyBundle", {}, 2)),
            codes::kApprovalExpired);
  // Hello again gets a new approval (the user is asked again: here, yes).
  RawClient again(path_);
  EXPECT_NE(hello(again, app_key_), channel);
}

}  // namespace
}  // namespace keylink::runtime
