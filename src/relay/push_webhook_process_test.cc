// --push-webhook against the real keylink-relay process (KEYLINK_RELAY_PROGRAM): a wallet subscribes and
// goes, a dApp publishes with prompt: true, and a webhook in this test (HTTP on 127.0.0.1) gets who,
// where and what kind, never the message; one that fails twice gets a third attempt; one that is down
// is counted as failed while the relay goes on serving.
#include <gtest/gtest.h>

#include <utility>  // before Boost.Asio (Boost 1.74, g++ 12, C++20)

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "keylink/base/clock.h"
#include "keylink/base/rng.h"
#include "keylink/crypto/did_key.h"
#include "keylink/crypto/jwt.h"
#include "testing/relay_process.h"
#include "testing/temp_dir.h"

namespace keylink::relay {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using keylink::testing::RelayProcess;
using keylink::testing::TempDir;
using nlohmann::json;

const std::string kTopic(64, 'e');
const std::string kSecret = "the encrypted request, which no webhook may see";

// An HTTP server on 127.0.0.1 that answers the n-th request with statuses[n] (the last one from then
// on) and keeps the bodies. Runs on a thread of its own until destroyed.
class Webhook {
 public:
  explicit Webhook(std::vector<unsigned> statuses)
      : statuses_(std::move(statuses)), acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Webhook() {
    io_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/wake"; }
  std::vector<std::string> bodies() const {
    std::lock_guard lock(mutex_);
    return bodies_;
  }

 private:
  struct Exchange {
    explicit Exchange(asio::ip::tcp::socket s) : stream(std::move(s)) {}
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    http::request<http::string_body> request;
    http::response<http::string_body> response;
  };

  void accept() {
    acceptor_.async_accept([this](beast::error_code error, asio::ip::tcp::socket socket) {
      if (error) return;
      auto exchange = std::make_shared<Exchange>(std::move(socket));
      http::async_read(exchange->stream, exchange->buffer, exchange->request,
                       [this, exchange](beast::error_code read_error, std::size_t) {
                         if (read_error) return;
                         answer(*exchange);
                         http::async_write(
                             exchange->stream, exchange->response, [exchange](beast::error_code, std::size_t) {
                               beast::error_code ignored;
                               exchange->stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
                             });
                       });
      accept();
    });
  }

  void answer(Exchange& exchange) {
    std::lock_guard lock(mutex_);
    EXPECT_EQ(exchange.request.method(), http::verb::post);
    EXPECT_EQ(exchange.request.target(), "/wake");
    EXPECT_EQ(exchange.request[http::field::content_type], "application/json");
    const unsigned status = statuses_[std::min(bodies_.size(), statuses_.size() - 1)];
    bodies_.push_back(exchange.request.body());
    exchange.response = {static_cast<http::status>(status), 11};
    exchange.response.prepare_payload();
  }

  std::vector<unsigned> statuses_;
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<std::string> bodies_;
};

// A WalletConnect client in a few lines: a did:key of its own, requests answered in order.
class Client {
 public:
  Client(const std::string& relay_url, std::uint64_t seed) : ws_(io_) {
    FixedRng rng(seed);
    const auto key = crypto::Ed25519KeyPair::generate(rng);
    id_ = crypto::did_key_from_ed25519(key.public_key());
    const std::string jwt = crypto::sign_relay_auth_jwt(key, "00", relay_url, SystemClock().unix_millis() / 1000, 3600);
    const auto port = relay_url.substr(relay_url.rfind(':') + 1);
    asio::ip::tcp::resolver resolver(io_);
    beast::get_lowest_layer(ws_).connect(resolver.resolve("127.0.0.1", port));
    ws_.handshake("127.0.0.1:" + port, "/?auth=" + jwt);
  }
  ~Client() {
    beast::error_code ignored;
    if (ws_.is_open()) ws_.close(beast::websocket::close_code::normal, ignored);
  }
  const std::string& id() const { return id_; }

  json call(const std::string& method, const json& params) {
    ws_.write(
        asio::buffer(json{{"id", ++next_id_}, {"jsonrpc", "2.0"}, {"method", method}, {"params", params}}.dump()));
    beast::flat_buffer buffer;
    ws_.read(buffer);
    return json::parse(beast::buffers_to_string(buffer.data()));
  }
  json publish(const std::string& message) {
    return call("irn_publish",
                {{"topic", kTopic}, {"message", message}, {"ttl", 300}, {"tag", 1108}, {"prompt", true}});
  }

 private:
  asio::io_context io_;
  beast::websocket::stream<beast::tcp_stream> ws_;
  std::string id_;
  int next_id_ = 0;
};

// Polls /metrics until the metric reaches `value`; false if it never does (a bound for hangs).
bool metric_reaches(const RelayProcess& relay, const std::string& name, double value) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < give_up) {
    if (relay.metrics()["keylink_relay_" + name] >= value) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

class PushWebhookProcessTest : public ::testing::Test {
 protected:
  void start(const std::string& webhook_url) {
    relay_.emplace(KEYLINK_RELAY_PROGRAM, std::vector<std::string>{"--store", "memory", "--push-webhook", webhook_url},
                   dir_.path().string());
    ASSERT_FALSE(relay_->url().empty());
  }
  // A wallet subscribes to kTopic and disconnects; returns its client id once the relay has it offline.
  std::string wallet_goes_offline() {
    std::string id;
    {
      Client wallet(relay_->url(), 1);
      id = wallet.id();
      EXPECT_TRUE(wallet.call("irn_subscribe", {{"topic", kTopic}})["result"].is_string());
    }
    EXPECT_TRUE(metric_reaches(*relay_, "push_subscriptions", 1)) << relay_->log();
    return id;
  }

  TempDir dir_;
  std::optional<RelayProcess> relay_;
};

TEST_F(PushWebhookProcessTest, TheWebhookGetsWhoWhereAndWhatKindButNeverTheMessage) {
  Webhook webhook({200});
  start(webhook.url());
  const std::string wallet = wallet_goes_offline();
  Client dapp(relay_->url(), 2);
  EXPECT_EQ(dapp.publish(kSecret)["result"], true);
  ASSERT_TRUE(metric_reaches(*relay_, "push_sent_total", 1)) << relay_->log();
  const auto bodies = webhook.bodies();
  ASSERT_EQ(bodies.size(), 1u);
  EXPECT_EQ(json::parse(bodies[0]), (json{{"clientId", wallet}, {"topic", kTopic}, {"tag", 1108}}));
  EXPECT_EQ(bodies[0].find(kSecret), std::string::npos);
  const auto metrics = relay_->metrics();
  EXPECT_EQ(metrics.at("keylink_relay_push_failed_total"), 0);
  EXPECT_EQ(metrics.at("keylink_relay_push_dropped_total"), 0);
}

TEST_F(PushWebhookProcessTest, AWebhookThatFailsTwiceGetsAThirdAttempt) {
  Webhook webhook({500, 500, 200});
  start(webhook.url());
  wallet_goes_offline();
  Client dapp(relay_->url(), 2);
  dapp.publish(kSecret);
  ASSERT_TRUE(metric_reaches(*relay_, "push_sent_total", 1)) << relay_->log();
  EXPECT_EQ(webhook.bodies().size(), 3u);
  EXPECT_EQ(relay_->metrics().at("keylink_relay_push_failed_total"), 0);
}

TEST_F(PushWebhookProcessTest, AWebhookThatIsDownIsCountedAndTheRelayGoesOn) {
  std::uint16_t free_port = 0;
  {
    asio::io_context io;
    asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
    free_port = probe.local_endpoint().port();
  }  // closed: nothing listens there now
  start("http://127.0.0.1:" + std::to_string(free_port) + "/wake");
  wallet_goes_offline();
  Client dapp(relay_->url(), 2);
  dapp.publish(kSecret);
  ASSERT_TRUE(metric_reaches(*relay_, "push_failed_total", 1)) << relay_->log();
  EXPECT_EQ(relay_->metrics().at("keylink_relay_push_sent_total"), 0);

  EXPECT_EQ(dapp.publish("and the relay still answers")["result"], true);
  Client wallet(relay_->url(), 1);
  EXPECT_TRUE(wallet.call("irn_subscribe", {{"topic", kTopic}})["result"].is_string());
}

}  // namespace
}  // namespace keylink::relay
