// The relay client and the relay over TLS (wss://) on 127.0.0.1, with certificates that a throwaway CA
// issues at test time: what verifies connects, and every certificate that does not is a clear error on
// every attempt, never a connection.
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include "keylink/relay/client.h"
#include "keylink/relay/relay_core.h"
#include "keylink/relay/server.h"
#include "keylink/store/database.h"
#include "testing/loopback_relay.h"
#include "testing/run_until.h"
#include "testing/temp_dir.h"
#include "testing/test_certificates.h"

namespace keylink::relay {
namespace {

using keylink::testing::TempDir;
using keylink::testing::TestCa;
using State = RelayClient::State;

const std::string kTopic(64, 'b');
constexpr const char* kLoopbackNames = "IP:127.0.0.1,DNS:localhost";

struct TlsClient {
  TlsClient(const std::string& path, std::uint64_t seed)
      : db(store::Database::open(path).value()),
        outbox(RelayOutbox::open(db).value()),
        rng(seed),
        key(crypto::Ed25519KeyPair::generate(rng)) {}

  // The reasons of the connection attempts that failed.
  std::vector<std::string> failures() const {
    std::vector<std::string> out;
    for (const auto& [state, why] : states) {
      if (state == State::kConnecting) out.push_back(why);
    }
    return out;
  }
  bool connected() const {
    return std::any_of(states.begin(), states.end(), [](const auto& s) { return s.first == State::kConnected; });
  }

  store::Database db;
  RelayOutbox outbox;
  FixedRng rng;
  crypto::Ed25519KeyPair key;
  std::unique_ptr<RelayClient> client;
  std::vector<std::pair<State, std::string>> states;
  std::map<std::int64_t, std::string> published;  // id -> "" (ok) or the error
};

class RelayTlsTest : public ::testing::Test {
 protected:
  RelayTlsTest() : ca("keylink test CA", dir.file("ca.pem")) {
    limits.publishes_per_second = 0;
    core = std::make_unique<RelayCore>(limits, clock, nullptr);
    EXPECT_TRUE(core->load());
  }
  ~RelayTlsTest() override {
    clients.clear();
    io.run_for(std::chrono::milliseconds(10));
  }

  ServerOptions options_for(const TestCa::Issued& issued) {
    ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.limits = limits;
    options.tls_cert_file = issued.cert_file;
    options.tls_key_file = issued.key_file;
    return options;
  }

  // The relay over TLS with a certificate for `names`, valid from `from` to `until` seconds from now.
  void serve(const std::string& names, long from = -60, long until = 3600) {
    server = std::make_unique<Server>(io, options_for(ca.issue(dir.file("server"), names, from, until)), *core, clock);
    auto listening = server->listen();
    ASSERT_TRUE(listening) << listening.error().message;
    url = *listening;
    port = url.substr(url.rfind(':') + 1);
  }

  TlsClient& client(const std::string& to, const std::string& ca_file) {
    clients.push_back(
        std::make_unique<TlsClient>(dir.file("client" + std::to_string(clients.size()) + ".db"), clients.size() + 1));
    TlsClient& c = *clients.back();
    ClientOptions options;
    options.url = to;
    options.ca_file = ca_file;
    options.backoff_initial = std::chrono::milliseconds(10);
    options.backoff_max = std::chrono::milliseconds(100);
    RelayClient::Callbacks callbacks;
    callbacks.on_state = [&c](State s, const std::string& why) { c.states.emplace_back(s, why); };
    callbacks.on_published = [&c](std::int64_t id, const Result<void>& r) {
      c.published.insert_or_assign(id, r ? std::string() : r.error().message);
    };
    c.client = std::make_unique<RelayClient>(io, options, c.key, c.outbox, clock, c.rng, callbacks);
    c.client->start();
    return c;
  }

  // Runs until `c` failed to connect `attempts` times; the reason of the last failure.
  std::string refused(TlsClient& c, std::size_t attempts = 2) {
    EXPECT_TRUE(run_until([&] { return c.failures().size() >= attempts; }));
    EXPECT_FALSE(c.connected());
    EXPECT_EQ(core->metrics().connections_total, 0u);
    return c.failures().empty() ? "" : c.failures().back();
  }

  template <class Done>
  bool run_until(Done done) {
    return keylink::testing::run_until(io, done);
  }

  TempDir dir;
  TestCa ca;
  boost::asio::io_context io;
  SystemClock clock;
  Limits limits;
  std::unique_ptr<RelayCore> core;
  std::unique_ptr<Server> server;
  std::string url;
  std::string port;
  std::vector<std::unique_ptr<TlsClient>> clients;
};

TEST_F(RelayTlsTest, ClientPublishesOverWssToARelayWhoseCertificateChainsToTheGivenCa) {
  serve(kLoopbackNames);
  EXPECT_TRUE(url.starts_with("wss://127.0.0.1:")) << url;
  TlsClient& alice = client(url, dir.file("ca.pem"));
  ASSERT_TRUE(run_until([&] { return alice.connected(); })) << ::testing::PrintToString(alice.failures());
  const auto id = alice.outbox.add({.topic = kTopic, .message = "over tls", .ttl = 300, .tag = 1}).value();
  alice.client->flush_outbox();
  ASSERT_TRUE(run_until([&] { return alice.published.contains(id); }));
  EXPECT_EQ(alice.published[id], "");
  EXPECT_EQ(core->metrics().publishes, 1u);
}

TEST_F(RelayTlsTest, ClientChecksAHostNameAgainstTheCertificate) {
  serve("DNS:localhost");
  // The relay's aud is its wss://127.0.0.1 URL: a client of wss://localhost is refused at the auth,
  // after the TLS and WebSocket handshakes that the name passed.
  TlsClient& by_name = client("wss://localhost:" + port, dir.file("ca.pem"));
  ASSERT_TRUE(run_until([&] { return !by_name.failures().empty(); }));
  EXPECT_EQ(by_name.failures()[0].rfind("relay refused the auth token", 0), 0u) << by_name.failures()[0];
  // The certificate names no address: a client of wss://127.0.0.1 is refused at the handshake.
  TlsClient& by_address = client(url, dir.file("ca.pem"));
  ASSERT_TRUE(run_until([&] { return by_address.failures().size() >= 2; }));
  EXPECT_FALSE(by_address.connected());
  EXPECT_EQ(by_address.failures().back(), url + ": the relay's TLS certificate does not verify: IP address mismatch");
}

TEST_F(RelayTlsTest, ClientRefusesACertificateForAnotherName) {
  serve("DNS:relay.invalid");
  TlsClient& c = client("wss://localhost:" + port, dir.file("ca.pem"));
  EXPECT_EQ(refused(c), "wss://localhost:" + port + ": the relay's TLS certificate does not verify: hostname mismatch");
}

TEST_F(RelayTlsTest, ClientRefusesAnExpiredCertificate) {
  serve(kLoopbackNames, -7200, -3600);
  TlsClient& c = client(url, dir.file("ca.pem"));
  EXPECT_EQ(refused(c), url + ": the relay's TLS certificate does not verify: certificate has expired");
}

TEST_F(RelayTlsTest, ClientRefusesACertificateOfAnotherCa) {
  serve(kLoopbackNames);
  TestCa other("another CA", dir.file("other.pem"));
  TlsClient& c = client(url, dir.file("other.pem"));
  EXPECT_EQ(refused(c).rfind(url + ": the relay's TLS certificate does not verify: ", 0), 0u) << c.failures().back();
}

TEST_F(RelayTlsTest, ClientWithoutACaFileTrustsOnlyTheSystemStore) {
  serve(kLoopbackNames);
  TlsClient& c = client(url, "");
  EXPECT_EQ(refused(c).rfind(url + ": the relay's TLS certificate does not verify: ", 0), 0u) << c.failures().back();
}

TEST_F(RelayTlsTest, ClientOfWssNeverFallsBackToAPlainRelay) {
  keylink::testing::LoopbackRelay plain(io, clock);
  TlsClient& c = client("wss://" + plain.url.substr(5), dir.file("ca.pem"));
  ASSERT_TRUE(run_until([&] { return c.failures().size() >= 2; }));
  EXPECT_FALSE(c.connected());
  EXPECT_EQ(c.failures().back().rfind("wss://" + plain.url.substr(5) + ": TLS handshake failed: ", 0), 0u)
      << c.failures().back();
  EXPECT_EQ(plain.core->metrics().connections_total, 0u);
}

TEST_F(RelayTlsTest, ClientStopsWhenItsCaFileCannotBeLoaded) {
  serve(kLoopbackNames);
  TlsClient& c = client(url, dir.file("missing.pem"));
  ASSERT_EQ(c.states.size(), 1u);
  EXPECT_EQ(c.states[0].first, State::kStopped);
  EXPECT_EQ(c.states[0].second.rfind("cannot load the CA certificates of '" + dir.file("missing.pem") + "'", 0), 0u)
      << c.states[0].second;
}

TEST_F(RelayTlsTest, RelayCountsAFailedHandshakeAndServesTheNextClient) {
  serve(kLoopbackNames);
  boost::asio::ip::tcp::socket plain(io);
  plain.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<std::uint16_t>(std::stoi(port))});
  boost::asio::write(plain, boost::asio::buffer(std::string("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")));
  ASSERT_TRUE(run_until([&] { return core->metrics().errors["tls_handshake"] == 1; }));
  TlsClient& c = client(url, dir.file("ca.pem"));
  EXPECT_TRUE(run_until([&] { return c.connected(); })) << ::testing::PrintToString(c.failures());
}

TEST_F(RelayTlsTest, RelayRefusesToListenWithAKeyThatIsNotItsCertificates) {
  const auto first = ca.issue(dir.file("first"), kLoopbackNames);
  const auto second = ca.issue(dir.file("second"), kLoopbackNames);
  ServerOptions options = options_for(first);
  options.tls_key_file = second.key_file;
  auto listening = Server(io, options, *core, clock).listen();
  ASSERT_FALSE(listening);
  EXPECT_EQ(listening.error().message, "cannot use the TLS key '" + second.key_file + "': key values mismatch");

  options.tls_cert_file = dir.file("missing.pem");
  listening = Server(io, options, *core, clock).listen();
  ASSERT_FALSE(listening);
  EXPECT_EQ(listening.error().message.rfind("cannot use the TLS certificate '" + dir.file("missing.pem") + "'", 0), 0u)
      << listening.error().message;

  options.tls_cert_file.clear();
  listening = Server(io, options, *core, clock).listen();
  ASSERT_FALSE(listening);
  EXPECT_EQ(listening.error().message, "TLS needs both a certificate (--tls-cert) and its key (--tls-key)");
}

}  // namespace
}  // namespace keylink::relay
