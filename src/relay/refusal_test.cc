// A relay that refuses a client after the upgrade (bad token, relay full, draining) must get its close
// frame and reason to the client even when the client has already sent frames (its subscriptions):
// closing a socket with unread bytes resets the connection, and the reset can overtake the close frame.
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "keylink/relay/client.h"
#include "keylink/relay/relay_core.h"
#include "keylink/relay/server.h"
#include "testing/run_until.h"
#include "testing/temp_dir.h"

namespace keylink::relay {
namespace {

using keylink::testing::TempDir;
using State = RelayClient::State;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

const std::string kTopic(64, 'b');

class RefusalTest : public ::testing::Test {
 protected:
  RefusalTest() : db(store::Database::open(dir.file("client.db")).value()), outbox(RelayOutbox::open(db).value()) {
    limits.publishes_per_second = 0;
  }
  ~RefusalTest() override {
    client.reset();
    io.run_for(std::chrono::milliseconds(10));
  }

  void start_relay() {
    core = std::make_unique<RelayCore>(limits, clock, nullptr);
    ASSERT_TRUE(core->load());
    ServerOptions options;
    options.port = 0;  // a free port: tests run in parallel
    options.limits = limits;
    server = std::make_unique<Server>(io, options, *core, clock);
    auto listening = server->listen();
    ASSERT_TRUE(listening) << listening.error().message;
    url = *listening;
  }

  // A client with 1,201 topics: right after the handshake it writes three irn_batchSubscribe frames
  // (about 100 kB), still unread at the relay when it refuses.
  void start_client(const std::string& client_url) {
    ClientOptions options;
    options.url = client_url;
    options.backoff_initial = std::chrono::milliseconds(10);
    options.backoff_max = std::chrono::milliseconds(100);
    RelayClient::Callbacks callbacks;
    callbacks.on_state = [this](State s, const std::string& why) { states.emplace_back(s, why); };
    client = std::make_unique<RelayClient>(io, options, key, outbox, clock, rng, callbacks);
    client->subscribe(kTopic);
    for (int i = 0; i < 1200; ++i) client->subscribe(std::string(60, 'c') + std::to_string(1000 + i));
    client->start();
  }

  // Runs the loop until `done`; false when it takes unreasonably long (a hang, not a timing check).
  template <class Done>
  bool run_until(Done done) {
    return keylink::testing::run_until(io, done);
  }

  // The reasons the client reported for its lost connections.
  std::vector<std::string> reasons() const {
    std::vector<std::string> out;
    for (const auto& [state, why] : states) {
      if (state == State::kConnecting) out.push_back(why);
    }
    return out;
  }
  // Runs until `attempts` connections were lost; then every reason must contain `expected`.
  void expect_every_loss_says(const std::string& expected, std::size_t attempts = 5) {
    ASSERT_TRUE(run_until([&] { return reasons().size() >= attempts; }));
    for (const std::string& why : reasons()) EXPECT_NE(why.find(expected), std::string::npos) << why;
    EXPECT_EQ(client->state(), State::kConnecting);
  }

  TempDir dir;
  boost::asio::io_context io;
  SystemClock clock;
  FixedRng rng{5};
  Limits limits;
  store::Database db;
  RelayOutbox outbox;
  crypto::Ed25519KeyPair key = crypto::Ed25519KeyPair::generate(rng);
  std::unique_ptr<RelayCore> core;
  std::unique_ptr<Server> server;
  std::string url;
  std::unique_ptr<RelayClient> client;
  std::vector<std::pair<State, std::string>> states;
};

TEST_F(RefusalTest, ABadTokenIsReportedToAClientThatSubscribes) {
  start_relay();
  start_client(url + "/not-this-relay");  // the JWT's aud names another URL
  expect_every_loss_says("relay refused the auth token (close 3000): ");
  EXPECT_NE(reasons().front().find("aud"), std::string::npos) << reasons().front();
}

TEST_F(RefusalTest, AFullRelayIsReportedToAClientThatSubscribes) {
  limits.max_connections = 0;
  start_relay();
  start_client(url);
  expect_every_loss_says("relay closed the connection (close 1013: relay full: 0 connections (--max-connections))");
}

// A raw client that writes a frame right after the handshake, the way RelayClient sends its
// subscriptions, and then reads: it gets the relay's close frame, then the clean end of the connection.
TEST_F(RefusalTest, TheRelayReadsUntilTheRefusedClientCloses) {
  start_relay();
  websocket::stream<beast::tcp_stream> ws(io);
  const auto port = static_cast<std::uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
  beast::error_code error;
  beast::get_lowest_layer(ws).connect({boost::asio::ip::make_address("127.0.0.1"), port}, error);
  ASSERT_FALSE(error) << error.message();
  bool done = false;
  beast::flat_buffer buffer;
  ws.async_handshake("127.0.0.1", "/?auth=not-a-token", [&](beast::error_code failed) {
    ASSERT_FALSE(failed) << failed.message();
    // Several frames, as unread bytes at the relay when it refuses.
    for (int i = 0; i < 3 && !failed; ++i) ws.write(boost::asio::buffer(std::string(4000, 'x')), failed);
    ws.async_read(buffer, [&](beast::error_code read_error, std::size_t) {
      error = read_error;
      done = true;
    });
  });
  ASSERT_TRUE(run_until([&] { return done; }));
  EXPECT_EQ(error, websocket::error::closed) << error.message();
  EXPECT_EQ(ws.reason().code, 3000);
}

}  // namespace
}  // namespace keylink::relay
