// The device-link transport against the real keylink-relay process (KEYLINK_RELAY_PROGRAM) with its
// SQLite store: over the relay, link messages are counted as ephemeral and localOnly and neither the
// node's gauges nor its files hold any of them; over the LAN, the running relay sees no connection at all.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "keylink/base/encoding.h"
#include "keylink/crypto/ed25519.h"
#include "keylink/relay/outbox.h"
#include "keylink/runtime/link_channel.h"
#include "keylink/store/database.h"
#include "testing/link_events.h"
#include "testing/relay_process.h"
#include "testing/run_until.h"
#include "testing/temp_dir.h"

namespace keylink::runtime {
namespace {

using keylink::testing::LinkEvents;
using keylink::testing::numbered;
using keylink::testing::RelayProcess;
using keylink::testing::run_until;
using keylink::testing::TempDir;

const std::string kTopicA(64, 'a');
const std::string kTopicB(64, 'b');
constexpr int kCount = 20;

RelayLinkOptions options_for(const std::string& url, const std::string& inbound, const std::string& outbound) {
  RelayLinkOptions options;
  options.relay.url = url;
  options.inbound_topic = inbound;
  options.outbound_topic = outbound;
  return options;
}

// Everything in the relay's files (the database and any WAL or journal beside it).
std::string store_files(const TempDir& dir) {
  std::string bytes;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    if (!entry.path().filename().string().starts_with("relay.db")) continue;
    std::ifstream file(entry.path(), std::ios::binary);
    bytes.append(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  }
  return bytes;
}

Bytes secret_message(const std::string& side, int i) {
  return numbered("link-secret-" + side + "-" + std::to_string(getpid()), i, 200);
}

TEST(LinkChannelRelayProcess, LinkMessagesAreCountedEphemeralLocalOnlyAndNeverStored) {
  TempDir dir;
  RelayProcess relay(KEYLINK_RELAY_PROGRAM, {"--store", "sqlite:" + dir.file("relay.db"), "--durability", "power"},
                     dir.path().string());
  ASSERT_FALSE(relay.url().empty());
  const auto before = relay.metrics();

  boost::asio::io_context io;
  SystemClock clock;
  FixedRng rng(7);
  LinkEvents a;
  LinkEvents b;
  auto channel_a = RelayLinkChannel::open(io, options_for(relay.url(), kTopicA, kTopicB), rng, clock, a.callbacks());
  auto channel_b = RelayLinkChannel::open(io, options_for(relay.url(), kTopicB, kTopicA), rng, clock, b.callbacks());
  ASSERT_TRUE(channel_a && channel_b);
  ASSERT_TRUE(run_until(io, [&] { return a.ups == 1 && b.ups == 1; }));
  for (int i = 0; i < kCount; ++i) {
    ASSERT_TRUE((*channel_a)->send(secret_message("a", i)));
    ASSERT_TRUE((*channel_b)->send(secret_message("b", i)));
  }
  ASSERT_TRUE(run_until(io, [&] { return a.messages.size() == kCount && b.messages.size() == kCount; }));
  for (int i = 0; i < kCount; ++i) {
    EXPECT_EQ(b.messages[i], secret_message("a", i));
    EXPECT_EQ(a.messages[i], secret_message("b", i));
  }

  // A control: an ordinary message, which the node does keep, shows that the gauges would move.
  auto db = store::Database::open(":memory:").value();
  auto outbox = relay::RelayOutbox::open(db).value();
  const auto key = crypto::Ed25519KeyPair::generate(rng);
  bool acked = false;
  relay::RelayClient::Callbacks control_callbacks;
  control_callbacks.on_published = [&](std::int64_t, const Result<void>& r) { acked = r.has_value(); };
  relay::RelayClient control(io, {.url = relay.url()}, key, outbox, clock, rng, control_callbacks);
  const std::string kept = "control-" + std::to_string(getpid());
  ASSERT_TRUE(outbox.add({.topic = std::string(64, 'c'), .message = kept, .ttl = 3600}));
  control.start();
  ASSERT_TRUE(run_until(io, [&] { return acked; }));

  const auto after = relay.metrics();
  EXPECT_EQ(after.at("keylink_relay_publishes_total") - before.at("keylink_relay_publishes_total"), 2 * kCount + 1);
  EXPECT_EQ(after.at("keylink_relay_ephemeral_publishes_total"), 2 * kCount);
  EXPECT_EQ(after.at("keylink_relay_local_only_publishes_total"), 2 * kCount);
  EXPECT_EQ(after.at("keylink_relay_stored_messages"), before.at("keylink_relay_stored_messages") + 1);
  EXPECT_GT(after.at("keylink_relay_stored_bytes"), before.at("keylink_relay_stored_bytes"));
  const double control_cost = after.at("keylink_relay_stored_bytes") - before.at("keylink_relay_stored_bytes");
  EXPECT_LT(control_cost, 1024) << "more than the control message is kept";

  channel_a->reset();
  channel_b->reset();
  control.stop();
  io.run_for(std::chrono::milliseconds(100));
  ASSERT_EQ(relay.stop(), 0) << relay.log();

  auto store = store::Database::open(dir.file("relay.db")).value();
  auto count = store.prepare("SELECT count(*) FROM messages").value();
  ASSERT_TRUE(count.step());
  EXPECT_EQ(count.column_int64(0), 1);
  const std::string files = store_files(dir);
  EXPECT_NE(files.find(kept), std::string::npos) << "the control message is not in the store";
  for (int i = 0; i < kCount; ++i) {
    for (const char* side : {"a", "b"}) {
      EXPECT_EQ(files.find(to_base64(secret_message(side, i))), std::string::npos) << side << i << " is in the store";
    }
  }
}

TEST(LinkChannelRelayProcess, TheLanPathNeverTouchesTheRunningRelay) {
  TempDir dir;
  RelayProcess relay(KEYLINK_RELAY_PROGRAM, {"--store", "sqlite:" + dir.file("relay.db")}, dir.path().string());
  ASSERT_FALSE(relay.url().empty());
  const auto before = relay.metrics();

  boost::asio::io_context io;
  LinkEvents a;
  LinkEvents b;
  auto listener = LanLinkChannel::listen(io, "127.0.0.1", 0, {}, b.callbacks()).value();
  auto connector = LanLinkChannel::connect(io, listener->address(), {}, a.callbacks()).value();
  ASSERT_TRUE(run_until(io, [&] { return a.ups == 1 && b.ups == 1; }));
  for (int i = 0; i < kCount; ++i) {
    ASSERT_TRUE(connector->send(secret_message("a", i)));
    ASSERT_TRUE(listener->send(secret_message("b", i)));
  }
  ASSERT_TRUE(run_until(io, [&] { return a.messages.size() == kCount && b.messages.size() == kCount; }));

  const auto after = relay.metrics();
  // The metrics GETs are HTTP connections of their own; no WebSocket client, no publish.
  EXPECT_EQ(after.at("keylink_relay_publishes_total"), before.at("keylink_relay_publishes_total"));
  EXPECT_EQ(after.at("keylink_relay_publishes_total"), 0);
  EXPECT_EQ(after.at("keylink_relay_connections"), 0);
  EXPECT_EQ(after.at("keylink_relay_stored_messages"), 0);
  EXPECT_EQ(after.at("keylink_relay_bytes_in_total"), 0);
  ASSERT_EQ(relay.stop(), 0) << relay.log();
  const std::string files = store_files(dir);
  EXPECT_EQ(files.find("link-secret-"), std::string::npos);
}

}  // namespace
}  // namespace keylink::runtime
