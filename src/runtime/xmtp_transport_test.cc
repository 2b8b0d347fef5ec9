// XmtpTransport over the real relay (RelayCore + Server) on 127.0.0.1, all on one io_context: XMTP
// envelopes published by one party reach another's subscription, payloads that do not belong are
// dropped and acked, and query_all follows cursors over a topic's history. The relay and the parties
// share a ManualClock, so that each message's publishedAt is known.
#include "keylink/runtime/xmtp_transport.h"

#include <gtest/gtest.h>

#include "keylink/wire/errors.h"
#include "keylink/wire/jsonrpc.h"
#include "keylink/wire/xmtp/relay_mapping.h"
#include "testing/loopback_relay.h"
#include "testing/run_until.h"
#include "testing/temp_dir.h"

namespace keylink::runtime {
namespace {

namespace wx = wire::xmtp;
using keylink::testing::CorePeer;
using keylink::testing::TempDir;
using Direction = relay::QueryRequest::Direction;

const std::string kTopic = "/xmtp/0/m-transport-test/proto";
const std::string kOtherTopic = "/xmtp/0/m-someone-else/proto";

wx::Envelope envelope(const std::string& topic, std::uint64_t ts, const std::string& text) {
  return {topic, ts, Bytes(text.begin(), text.end())};
}
std::string text_of(const wx::Envelope& e) { return std::string(e.message.begin(), e.message.end()); }

// One party: database, outbox, relay client and the transport over it, as an owner wires them.
struct Party {
  Party(const std::string& path, std::uint64_t seed, boost::asio::io_context& io, const std::string& url,
        const Clock& clock)
      : db(store::Database::open(path).value()),
        outbox(relay::RelayOutbox::open(db).value()),
        rng(seed),
        key(crypto::Ed25519KeyPair::generate(rng)) {
    relay::ClientOptions options;
    options.url = url;
    options.backoff_initial = std::chrono::milliseconds(10);
    options.backoff_max = std::chrono::milliseconds(100);
    relay::RelayClient::Callbacks callbacks;
    callbacks.on_message = [this](const relay::RelayMessage& m) {
      return transport->handles(m.topic) ? transport->on_relay_message(m) : true;
    };
    callbacks.on_state = [this](relay::RelayClient::State s, const std::string&) {
      if (s == relay::RelayClient::State::kConnected) ++connects;
    };
    callbacks.on_published = [this](std::int64_t id, const Result<void>& r) {
      published.insert_or_assign(id, r ? std::string() : r.error().message);
    };
    client = std::make_unique<relay::RelayClient>(io, options, key, outbox, clock, rng, callbacks);
    XmtpTransport::Callbacks transport_callbacks{
        .on_envelope =
            [this](const wx::Envelope& e) {
              received.push_back(e);
              return true;
            },
        .on_dropped = [this](const std::string&, const Error& why) { dropped.push_back(why.message); },
    };
    transport = std::make_unique<XmtpTransport>(*client, outbox, db, transport_callbacks);
  }
  ~Party() {
    transport.reset();
    client.reset();
  }

  store::Database db;
  relay::RelayOutbox outbox;
  FixedRng rng;
  crypto::Ed25519KeyPair key;
  std::unique_ptr<relay::RelayClient> client;
  std::unique_ptr<XmtpTransport> transport;
  int connects = 0;
  std::vector<wx::Envelope> received;
  std::vector<std::string> dropped;
  std::map<std::int64_t, std::string> published;
};

class XmtpTransportTest : public ::testing::Test {
 protected:
  ~XmtpTransportTest() override {
    parties.clear();
    io.run_for(std::chrono::milliseconds(10));
  }

  Party& party(std::uint64_t seed) {
    parties.push_back(std::make_unique<Party>(dir.file("party" + std::to_string(seed) + ".db"), seed, io, url, clock));
    return *parties.back();
  }
  bool connected(Party& p) {
    p.client->start();
    return keylink::testing::run_until(io, [&] { return p.connects > 0; });
  }
  // A message on a relay topic, straight into the relay core.
  void inject(const std::string& relay_topic, const std::string& message) {
    CorePeer mallory("did:key:mallory");
    core->attach(mallory);
    core->on_frame(
        mallory,
        wire::Json{
            {"id", ++injected},
            {"jsonrpc", "2.0"},
            {"method", "irn_publish"},
            {"params",
             {{"topic", relay_topic}, {"message", message}, {"ttl", wx::kXmtpTtlSeconds}, {"tag", wx::kXmtpRelayTag}}}}
            .dump());
    core->detach(mallory);
  }
  std::size_t pending_for(Party& p, const std::string& xmtp_topic) {
    const auto client = core->mailbox().known_client(p.client->client_id()).value();
    return core->mailbox().pending(client, wx::relay_topic(xmtp_topic), clock.unix_millis(), 100).messages.size();
  }
  Result<std::vector<wx::Envelope>> query_all(Party& p, const std::string& topic, XmtpQueryOptions options) {
    std::optional<Result<std::vector<wx::Envelope>>> answer;
    p.transport->query_all(topic, options, [&](Result<std::vector<wx::Envelope>> r) { answer = std::move(r); });
    EXPECT_FALSE(answer.has_value()) << "called back from within query_all()";
    EXPECT_TRUE(keylink::testing::run_until(io, [&] { return answer.has_value(); }));
    if (!answer) return fail(wire::Errc::kMalformed, "test: no answer");
    return std::move(*answer);
  }

  TempDir dir;
  boost::asio::io_context io;
  ManualClock clock;
  keylink::testing::LoopbackRelay loopback{io, clock};
  std::unique_ptr<relay::RelayCore>& core = loopback.core;
  const std::string& url = loopback.url;
  int injected = 0;
  std::vector<std::unique_ptr<Party>> parties;
};

std::vector<std::string> texts(const std::vector<wx::Envelope>& envelopes) {
  std::vector<std::string> out;
  for (const auto& e : envelopes) out.push_back(text_of(e));
  return out;
}

TEST_F(XmtpTransportTest, PublishedEnvelopesReachTheSubscriberInOrder) {
  Party& alice = party(1);
  Party& bob = party(2);
  bob.transport->subscribe(kTopic);
  ASSERT_TRUE(connected(alice) && connected(bob));
  EXPECT_TRUE(bob.transport->handles(wx::relay_topic(kTopic)));
  EXPECT_FALSE(bob.transport->handles(kTopic));

  const std::vector<wx::Envelope> sent = {envelope(kTopic, 1, "one"), envelope(kTopic, 2, "two"),
                                          envelope(kTopic, 3, "three")};
  auto ids = alice.transport->publish(sent);
  ASSERT_TRUE(ids) << ids.error().message;
  ASSERT_EQ(ids->size(), 3u);
  ASSERT_TRUE(keylink::testing::run_until(io, [&] { return bob.received.size() == 3 && alice.published.size() == 3; }));
  EXPECT_EQ(texts(bob.received), (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_EQ(bob.received[1].content_topic, kTopic);
  EXPECT_EQ(bob.received[1].timestamp_ns, 2u);
  for (const auto id : *ids) EXPECT_EQ(alice.published[id], "");

  // What went over the relay: the mapped topic, ttl and tag.
  auto kept = core->mailbox().history(wx::relay_topic(kTopic), {}, clock.unix_millis());
  ASSERT_EQ(kept.messages.size(), 3u);
  EXPECT_EQ(kept.messages[0]->message, wx::relay_payload(sent[0]));
  EXPECT_EQ(kept.messages[0]->tag, wx::kXmtpRelayTag);
  EXPECT_TRUE(bob.dropped.empty());
}

TEST_F(XmtpTransportTest, EnqueueWaitsForFlushAndRefusesAnEnvelopeWithoutTopic) {
  Party& alice = party(1);
  ASSERT_TRUE(connected(alice));
  auto id = alice.transport->enqueue(envelope(kTopic, 1, "queued"));
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(alice.outbox.count().value(), 1);
  auto row = alice.outbox.list().value().front().message;
  EXPECT_EQ(row.topic, wx::relay_topic(kTopic));
  EXPECT_EQ(row.ttl, wx::kXmtpTtlSeconds);
  EXPECT_EQ(row.tag, wx::kXmtpRelayTag);
  alice.client->flush_outbox();
  ASSERT_TRUE(keylink::testing::run_until(io, [&] { return alice.published.contains(*id); }));
  EXPECT_EQ(alice.published[*id], "");

  auto bad = alice.transport->enqueue(envelope("", 1, "nowhere"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, wire::Errc::kMalformed);
  // publish() is all or none.
  auto batch = alice.transport->publish(std::vector{envelope(kTopic, 1, "a"), envelope("", 2, "b")});
  ASSERT_FALSE(batch);
  EXPECT_EQ(alice.outbox.count().value(), 0);
}

TEST_F(XmtpTransportTest, PayloadsThatDoNotBelongAreDroppedAndAcked) {
  Party& bob = party(2);
  bob.transport->subscribe(kTopic);
  ASSERT_TRUE(connected(bob));
  const std::string relay_topic = wx::relay_topic(kTopic);
  inject(relay_topic, wx::relay_payload(envelope(kOtherTopic, 1, "for someone else")));
  inject(relay_topic, "not base64!");
  inject(relay_topic, wx::relay_payload(envelope(kTopic, 2, "genuine")));
  ASSERT_TRUE(keylink::testing::run_until(io, [&] { return bob.received.size() == 1 && bob.dropped.size() == 2; }));
  EXPECT_EQ(text_of(bob.received[0]), "genuine");
  EXPECT_NE(bob.dropped[0].find(kOtherTopic), std::string::npos) << bob.dropped[0];
  EXPECT_NE(bob.dropped[1].find("not standard padded base64"), std::string::npos) << bob.dropped[1];
  // All three acked: none comes back.
  ASSERT_TRUE(keylink::testing::run_until(io, [&] { return pending_for(bob, kTopic) == 0; }));

  bob.transport->unsubscribe(kTopic);
  EXPECT_FALSE(bob.transport->handles(relay_topic));
}

TEST_F(XmtpTransportTest, QueryAllFollowsCursorsBothWays) {
  Party& alice = party(1);
  ASSERT_TRUE(connected(alice));
  // Envelope i reaches the relay at ms base + i, and says it was made 0.5 ms into that ms.
  const std::uint64_t base = static_cast<std::uint64_t>(clock.unix_millis()) + 1;
  auto ts = [&](int i) { return (base + static_cast<std::uint64_t>(i)) * 1'000'000 + 500'000; };
  for (int i = 0; i < 25; ++i) {
    clock.advance(std::chrono::milliseconds(1));
    inject(wx::relay_topic(kTopic), wx::relay_payload(envelope(kTopic, ts(i), "e" + std::to_string(i))));
    if (i == 7) inject(wx::relay_topic(kTopic), wx::relay_payload(envelope(kOtherTopic, ts(i), "stray")));
    if (i == 8) inject(wx::relay_topic(kTopic), "////");
  }
  std::vector<std::string> expected;
  for (int i = 0; i < 25; ++i) expected.push_back("e" + std::to_string(i));

  auto up = query_all(alice, kTopic, {.page_limit = 10});
  ASSERT_TRUE(up) << up.error().message;
  EXPECT_EQ(texts(*up), expected);
  EXPECT_EQ(alice.dropped.size(), 2u);
  auto down = query_all(alice, kTopic, {.direction = Direction::kDescending, .page_limit = 7});
  ASSERT_TRUE(down) << down.error().message;
  EXPECT_EQ(texts(*down), std::vector<std::string>(expected.rbegin(), expected.rend()));

  // Bounds on timestamp_ns, exact to the ns, though the relay's are whole ms.
  auto range = query_all(alice, kTopic, {.start_ns = ts(5), .end_ns = ts(17), .page_limit = 4});
  ASSERT_TRUE(range) << range.error().message;
  EXPECT_EQ(texts(*range), std::vector<std::string>(expected.begin() + 5, expected.begin() + 18));
  auto late = query_all(alice, kTopic, {.start_ns = ts(5) + 1});
  ASSERT_TRUE(late);
  EXPECT_EQ(texts(*late).front(), "e6");

  auto none = query_all(alice, "/xmtp/0/m-empty/proto", {});
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TEST_F(XmtpTransportTest, QueryAllFailsBeyondItsBoundAndWhenTheRelayRefuses) {
  Party& alice = party(1);
  ASSERT_TRUE(connected(alice));
  for (int i = 0; i < 12; ++i)
    inject(wx::relay_topic(kTopic), wx::relay_payload(envelope(kTopic, 1, "x" + std::to_string(i))));
  auto capped = query_all(alice, kTopic, {.page_limit = 5, .max_total = 10});
  ASSERT_FALSE(capped);
  EXPECT_EQ(capped.error().code, wire::Errc::kTooLarge);
  EXPECT_NE(capped.error().message.find("more than 10"), std::string::npos) << capped.error().message;

  auto refused = query_all(alice, kTopic, {.page_limit = 5000});
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("relay refused keylink_query: params.limit"), std::string::npos)
      << refused.error().message;

  alice.client->stop();
  auto stopped = query_all(alice, kTopic, {});
  ASSERT_FALSE(stopped);
  EXPECT_NE(stopped.error().message.find("not connected to the relay"), std::string::npos) << stopped.error().message;
}

TEST_F(XmtpTransportTest, DestroyedTransportNeverCallsBack) {
  Party& alice = party(1);
  ASSERT_TRUE(connected(alice));
  bool called = false;
  alice.transport->query_all(kTopic, {}, [&](auto) { called = true; });
  alice.transport.reset();
  io.run_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace keylink::runtime
