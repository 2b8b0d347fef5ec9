// RelayLinkChannel over the real relay (RelayCore + Server) on 127.0.0.1, on one io_context: link
// messages go both ways in order, every publish is ephemeral and localOnly (the relay's counters say
// so), and the relay stores none of them.
#include <gtest/gtest.h>

#include "keylink/base/encoding.h"
#include "keylink/crypto/ed25519.h"
#include "keylink/relay/outbox.h"
#include "keylink/runtime/link_channel.h"
#include "keylink/store/database.h"
#include "testing/link_events.h"
#include "testing/loopback_relay.h"
#include "testing/run_until.h"

namespace keylink::runtime {
namespace {

using keylink::testing::bytes_of;
using keylink::testing::LinkEvents;
using keylink::testing::LoopbackRelay;
using keylink::testing::numbered;
using keylink::testing::run_until;

const std::string kTopicA(64, 'a');  // what A reads
const std::string kTopicB(64, 'b');  // what B reads

RelayLinkOptions options_for(const std::string& url, const std::string& inbound, const std::string& outbound) {
  RelayLinkOptions options;
  options.relay.url = url;
  options.relay.backoff_initial = std::chrono::milliseconds(10);
  options.relay.backoff_max = std::chrono::milliseconds(100);
  options.inbound_topic = inbound;
  options.outbound_topic = outbound;
  return options;
}

struct Fixture : ::testing::Test {
  Fixture() : relay(io, clock) {}

  std::unique_ptr<RelayLinkChannel> open(LinkEvents& events, const std::string& inbound, const std::string& outbound,
                                         std::size_t max_message = kMaxRelayLinkMessage) {
    RelayLinkOptions options = options_for(relay.url, inbound, outbound);
    options.max_message = max_message;
    auto channel = RelayLinkChannel::open(io, options, rng, clock, events.callbacks());
    EXPECT_TRUE(channel) << channel.error().message;
    return channel ? std::move(*channel) : nullptr;
  }

  boost::asio::io_context io;
  SystemClock clock;
  FixedRng rng{16};
  LoopbackRelay relay;
};

// Someone else on the relay: a plain relay client that publishes whatever it likes to any topic.
struct Stranger {
  Stranger(boost::asio::io_context& io, const std::string& url, const Clock& clock, Rng& rng)
      : db(store::Database::open(":memory:").value()),
        outbox(relay::RelayOutbox::open(db).value()),
        key(crypto::Ed25519KeyPair::generate(rng)),
        client(io, {.url = url}, key, outbox, clock, rng,
               {.on_message = {},
                .on_state = [this](relay::RelayClient::State s,
                                   const std::string&) { connected = s == relay::RelayClient::State::kConnected; },
                .on_published = [this](std::int64_t, const Result<void>&) { ++acked; }}) {
    client.start();
  }
  void publish(const std::string& topic, const std::string& text) {
    ASSERT_TRUE(outbox.add({.topic = topic, .message = text, .ttl = 300, .tag = 0, .ephemeral = true}));
    client.flush_outbox();
  }

  store::Database db;
  relay::RelayOutbox outbox;
  crypto::Ed25519KeyPair key;
  relay::RelayClient client;
  bool connected = false;
  int acked = 0;
};

using RelayLinkChannelTest = Fixture;

TEST_F(RelayLinkChannelTest, MessagesGoBothWaysInOrderAndTheRelayKeepsNone) {
  LinkEvents a;
  LinkEvents b;
  auto channel_a = open(a, kTopicA, kTopicB);
  auto channel_b = open(b, kTopicB, kTopicA);
  ASSERT_TRUE(run_until(io, [&] { return a.ups == 1 && b.ups == 1; }));
  EXPECT_TRUE(channel_a->up());
  constexpr int kCount = 30;
  for (int i = 0; i < kCount; ++i) {
    ASSERT_TRUE(channel_a->send(numbered("a", i, static_cast<std::size_t>(i) * 500)));
    ASSERT_TRUE(channel_b->send(numbered("b", i)));
  }
  ASSERT_TRUE(channel_a->send(Bytes(kMaxRelayLinkMessage, 0xee)));  // the relay's --max-message-bytes
  ASSERT_TRUE(run_until(io, [&] { return b.messages.size() == kCount + 1 && a.messages.size() == kCount; }));
  for (int i = 0; i < kCount; ++i) {
    EXPECT_EQ(b.messages[i], numbered("a", i, static_cast<std::size_t>(i) * 500));
    EXPECT_EQ(a.messages[i], numbered("b", i));
  }
  EXPECT_EQ(b.messages.back(), Bytes(kMaxRelayLinkMessage, 0xee));
  EXPECT_TRUE(a.send_failures.empty());
  EXPECT_TRUE(b.send_failures.empty());

  relay::Metrics& metrics = relay.core->metrics();
  EXPECT_EQ(metrics.publishes, 2u * kCount + 1);
  EXPECT_EQ(metrics.ephemeral_publishes, metrics.publishes);
  EXPECT_EQ(metrics.local_only_publishes, metrics.publishes);
  EXPECT_EQ(metrics.stored_messages, 0u);
  EXPECT_EQ(metrics.stored_bytes, 0u);
  EXPECT_EQ(relay.core->mailbox().message_count(), 0u);
  EXPECT_EQ(channel_a->stats().messages_sent, kCount + 1u);
  EXPECT_EQ(channel_b->stats().messages_received, kCount + 1u);
}

// Each channel has a relay identity of its own, made for it: two channels are two clients.
TEST_F(RelayLinkChannelTest, EachChannelIsANewRelayClient) {
  LinkEvents a;
  LinkEvents b;
  auto channel_a = open(a, kTopicA, kTopicB);
  auto channel_b = open(b, kTopicB, kTopicA);
  ASSERT_TRUE(run_until(io, [&] { return a.ups == 1 && b.ups == 1; }));
  EXPECT_EQ(relay.core->metrics().connections, 2u);
}

// A stranger who knows B's topic publishes a payload over B's limit, one that is not base64, and one
// that is fine: the first two are dropped and counted, the third goes up (the link layer judges it).
TEST_F(RelayLinkChannelTest, OversizedAndMalformedPayloadsAreDroppedAndCounted) {
  LinkEvents b;
  auto channel_b = open(b, kTopicB, kTopicA, 1000);
  Stranger stranger(io, relay.url, clock, rng);
  ASSERT_TRUE(run_until(io, [&] { return b.ups == 1 && stranger.connected; }));
  stranger.publish(kTopicB, to_base64(Bytes(1001, 1)));
  stranger.publish(kTopicB, to_base64(Bytes(999, 1)) + "AAAA");  // 1002 bytes decoded
  stranger.publish(kTopicB, "not base64 at all!");
  stranger.publish(kTopicB, to_base64(bytes_of("forged, for the link layer to refuse")));
  ASSERT_TRUE(run_until(io, [&] { return b.messages.size() == 1; }));
  EXPECT_EQ(b.messages[0], bytes_of("forged, for the link layer to refuse"));
  EXPECT_EQ(channel_b->stats().dropped_too_large, 2u);
  EXPECT_EQ(channel_b->stats().dropped_malformed, 1u);
  EXPECT_EQ(channel_b->stats().messages_received, 1u);
}

TEST_F(RelayLinkChannelTest, RefusesMessagesOverTheCapAndBadOptions) {
  LinkEvents a;
  auto channel = open(a, kTopicA, kTopicB);
  EXPECT_EQ(channel->send(Bytes(kMaxRelayLinkMessage + 1)).error().code, LinkChannelErrc::kTooLarge);
  auto bad = [&](RelayLinkOptions options) {
    auto opened = RelayLinkChannel::open(io, std::move(options), rng, clock, a.callbacks());
    return opened ? std::error_code() : opened.error().code;
  };
  EXPECT_EQ(bad(options_for(relay.url, "short", kTopicB)), LinkChannelErrc::kBadOption);
  EXPECT_EQ(bad(options_for(relay.url, kTopicA, std::string(64, 'A'))), LinkChannelErrc::kBadOption);
  EXPECT_EQ(bad(options_for(relay.url, kTopicA, kTopicA)), LinkChannelErrc::kBadOption);
  EXPECT_EQ(bad(options_for("http://127.0.0.1:1", kTopicA, kTopicB)), LinkChannelErrc::kBadOption);
}

// Sent before the relay is reached: the message waits in memory and goes once connected.
TEST_F(RelayLinkChannelTest, MessagesSentBeforeUpGoOnceConnected) {
  LinkEvents a;
  LinkEvents b;
  auto channel_b = open(b, kTopicB, kTopicA);
  ASSERT_TRUE(run_until(io, [&] { return b.ups == 1; }));
  auto channel_a = open(a, kTopicA, kTopicB);
  ASSERT_TRUE(channel_a->send(bytes_of("early")));
  ASSERT_TRUE(run_until(io, [&] { return b.messages.size() == 1; }));
  EXPECT_EQ(b.messages[0], bytes_of("early"));
}

TEST_F(RelayLinkChannelTest, TheQueueIsBounded) {
  LinkEvents a;
  RelayLinkOptions options = options_for(relay.url, kTopicA, kTopicB);
  options.max_queued = 2;
  auto channel = RelayLinkChannel::open(io, options, rng, clock, a.callbacks()).value();
  EXPECT_TRUE(channel->send(bytes_of("1")));
  EXPECT_TRUE(channel->send(bytes_of("2")));
  EXPECT_EQ(channel->send(bytes_of("3")).error().code, LinkChannelErrc::kBusy);
  ASSERT_TRUE(run_until(io, [&] { return channel->send(bytes_of("3")).has_value(); }));  // once the relay acks
}

TEST_F(RelayLinkChannelTest, StopFromACallbackAndDestroyWithOperationsPending) {
  LinkEvents a;
  LinkEvents b;
  std::unique_ptr<RelayLinkChannel> channel_b;
  auto callbacks = b.callbacks();
  callbacks.on_message = [&](Bytes message) {
    b.messages.push_back(std::move(message));
    channel_b->stop();
  };
  RelayLinkOptions options = options_for(relay.url, kTopicB, kTopicA);
  channel_b = RelayLinkChannel::open(io, options, rng, clock, callbacks).value();
  auto channel_a = open(a, kTopicA, kTopicB);
  ASSERT_TRUE(run_until(io, [&] { return a.ups == 1 && b.ups == 1; }));
  ASSERT_TRUE(channel_a->send(bytes_of("one")));
  ASSERT_TRUE(channel_a->send(bytes_of("two")));
  ASSERT_TRUE(run_until(io, [&] { return !b.messages.empty(); }));
  io.run_for(std::chrono::milliseconds(100));
  EXPECT_EQ(b.messages, std::vector<Bytes>{bytes_of("one")});
  EXPECT_FALSE(channel_b->up());
  EXPECT_TRUE(b.downs.empty());

  ASSERT_TRUE(channel_a->send(Bytes(kMaxRelayLinkMessage, 1)));
  channel_a.reset();  // a publish in flight
  channel_b.reset();
  io.run_for(std::chrono::milliseconds(100));
}

}  // namespace
}  // namespace keylink::runtime
