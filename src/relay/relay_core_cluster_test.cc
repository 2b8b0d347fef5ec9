// RelayCore on a shared journal (a cluster node), without sockets or NATS: several cores over one
// in-memory stream that numbers every node's appends in one order, as JetStream does. The test decides
// when the stream's acks and its feed reach each node (settle), so that what a node does before and
// after are both seen. tests/e2e/cluster.test.js runs the same on real NATS servers.
#include <gtest/gtest.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "keylink/relay/relay_core.h"
#include "testing/shared_stream.h"

namespace keylink::relay {
namespace {

using nlohmann::json;
using testing::Stream;
using testing::StreamJournal;

const std::string kTopic(64, 'c');

class FakePeer final : public Peer {
 public:
  using Peer::Peer;
  void send(std::string_view frame) override { frames.push_back(json::parse(frame)); }
  void close(std::uint16_t, std::string_view) override {}
  std::vector<json> take() { return std::exchange(frames, {}); }
  std::vector<json> frames;
};

// One relay node: its journal on the shared stream, its core, its peers.
struct Node {
  Node(Stream& stream, const Limits& limits, const Clock& clock) : journal(stream), core(limits, clock, &journal) {
    EXPECT_TRUE(core.load());
  }
  FakePeer& connect(const std::string& client) {
    peers.push_back(std::make_unique<FakePeer>(client));
    core.attach(*peers.back());
    return *peers.back();
  }
  StreamJournal journal;
  RelayCore core;
  std::vector<std::unique_ptr<FakePeer>> peers;
};

class RelayCoreClusterTest : public ::testing::Test {
 protected:
  RelayCoreClusterTest() { limits.publishes_per_second = 0; }

  Node& add_node() { return *nodes_.emplace_back(std::make_unique<Node>(stream, limits, clock)); }
  void settle() {
    for (auto& node : nodes_) node->journal.settle(clock.unix_millis());
  }
  static void read(Node& node, FakePeer& peer, const json& frame) {
    node.core.on_frame(peer, frame.dump());
    node.core.on_read_end(peer);
  }
  static void request(Node& node, FakePeer& peer, const std::string& method, const json& params, int id = 1) {
    read(node, peer, {{"id", id}, {"jsonrpc", "2.0"}, {"method", method}, {"params", params}});
  }
  static void publish(Node& node, FakePeer& peer, const std::string& message, json extra = json::object()) {
    json params = {{"topic", kTopic}, {"message", message}, {"ttl", 300}, {"tag", 1}};
    params.update(extra);
    request(node, peer, "irn_publish", params);
  }
  // The first answer the peer got (a frame that is not a delivery), taken out of its frames.
  static json answer(FakePeer& peer) {
    auto found = std::find_if(peer.frames.begin(), peer.frames.end(), [](const json& f) { return !f.contains("method"); });
    if (found == peer.frames.end()) return json();
    json taken = std::move(*found);
    peer.frames.erase(found);
    return taken;
  }
  static void subscribe(Node& node, FakePeer& peer) {
    request(node, peer, "irn_subscribe", {{"topic", kTopic}});
    ASSERT_TRUE(answer(peer)["result"].is_string());
  }
  static std::vector<std::string> delivered(FakePeer& peer) {
    std::vector<std::string> out;
    for (const json& frame : peer.frames) {
      if (frame.value("method", "") == "irn_subscription") out.push_back(frame["params"]["data"]["message"]);
    }
    return out;
  }
  static std::vector<json> deliveries(FakePeer& peer) {
    std::vector<json> out;
    for (json& frame : peer.take()) {
      if (frame.value("method", "") == "irn_subscription") out.push_back(std::move(frame));
    }
    return out;
  }
  static void ack(Node& node, FakePeer& peer, const json& delivery) {
    read(node, peer, {{"id", delivery["id"]}, {"jsonrpc", "2.0"}, {"result", true}});
  }
  static json history(Node& node, FakePeer& peer, json params) {
    params["topic"] = kTopic;
    request(node, peer, "keylink_query", params);
    return answer(peer)["result"];
  }

  Limits limits;
  ManualClock clock;
  Stream stream;
  std::vector<std::unique_ptr<Node>> nodes_;
};

TEST_F(RelayCoreClusterTest, APublishIsKeptAndAnsweredWhenTheStreamBringsItBackOnEveryNodeInItsOrder) {
  Node& a = add_node();
  Node& b = add_node();
  FakePeer& here = a.connect("did:key:here");
  FakePeer& there = b.connect("did:key:there");
  FakePeer& pub = a.connect("did:key:pub");
  subscribe(a, here);
  subscribe(b, there);
  subscribe(a, pub);
  publish(a, pub, "one");
  publish(a, pub, "two");
  // In the stream, not yet back: nobody has it, and the publisher waits for its answer.
  EXPECT_EQ(stream.entries.size(), 2u);
  EXPECT_TRUE(pub.frames.empty());
  EXPECT_TRUE(delivered(here).empty());
  EXPECT_EQ(a.core.mailbox().message_count(), 0u);
  settle();
  EXPECT_EQ(delivered(here), (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(delivered(there), (std::vector<std::string>{"one", "two"}));
  const auto answers = pub.take();  // two answers, and no delivery of its own messages
  ASSERT_EQ(answers.size(), 2u);
  for (const json& answer : answers) EXPECT_EQ(answer["result"], true);
  EXPECT_EQ(b.core.mailbox().message_count(), 2u);
}

TEST_F(RelayCoreClusterTest, AMessageKeptAlreadyIsAnsweredAtOnceAndNotAppendedAgain) {
  Node& a = add_node();
  Node& b = add_node();
  FakePeer& pub = a.connect("did:key:pub");
  FakePeer& other = b.connect("did:key:other");
  publish(a, pub, "same");
  settle();
  pub.take();
  publish(b, other, "same");
  EXPECT_EQ(answer(other)["result"], true);
  EXPECT_EQ(stream.entries.size(), 1u);
}

TEST_F(RelayCoreClusterTest, AnAckTravelsByTopicAndStreamSeqAndHoldsOnEveryNode) {
  Node& a = add_node();
  Node& b = add_node();
  FakePeer& pub = a.connect("did:key:pub");
  publish(a, pub, "one");
  publish(a, pub, "two");
  settle();
  FakePeer& sub = b.connect("did:key:sub");
  subscribe(b, sub);
  const auto got = deliveries(sub);
  ASSERT_EQ(got.size(), 2u);
  ack(b, sub, got[0]);
  ASSERT_EQ(stream.entries.size(), 3u);
  const StoredAck& journaled = *stream.entries.back().ack;
  EXPECT_EQ(journaled.client_id, "did:key:sub");
  EXPECT_EQ(journaled.topic, kTopic);
  EXPECT_EQ(journaled.seq, 1u);  // "one", the stream's first
  settle();
  // The same client on the other node gets only what it did not acknowledge.
  FakePeer& again = a.connect("did:key:sub");
  subscribe(a, again);
  EXPECT_EQ(delivered(again), std::vector<std::string>{"two"});
}

TEST_F(RelayCoreClusterTest, HistoryCursorsMeanTheSameOnEveryNode) {
  Node& a = add_node();
  Node& b = add_node();
  FakePeer& pub = a.connect("did:key:pub");
  FakePeer& reader_a = a.connect("did:key:reader");
  FakePeer& reader_b = b.connect("did:key:reader");
  for (int i = 0; i < 5; ++i) publish(a, pub, "m" + std::to_string(i));
  // Another topic's message in between: the topic's seqs have gaps, as in a stream of every topic.
  request(a, pub, "irn_publish", {{"topic", std::string(64, 'd')}, {"message", "elsewhere"}, {"ttl", 300}});
  publish(a, pub, "m5");
  settle();
  const json first = history(a, reader_a, {{"limit", 3}});
  ASSERT_TRUE(first.contains("cursor"));
  const json second = history(b, reader_b, {{"limit", 3}, {"cursor", first["cursor"]}});
  std::vector<std::string> texts;
  for (const json* page : {&first, &second}) {
    for (const json& m : (*page)["messages"]) texts.push_back(m["message"]);
  }
  EXPECT_EQ(texts, (std::vector<std::string>{"m0", "m1", "m2", "m3", "m4", "m5"}));
  // Back from the first page's cursor, on the other node.
  const json back = history(b, reader_b, {{"limit", 5}, {"direction", "desc"}, {"cursor", first["cursor"]}});
  ASSERT_EQ(back["messages"].size(), 2u);
  EXPECT_EQ(back["messages"][0]["message"], "m1");
  EXPECT_EQ(back["messages"][1]["message"], "m0");
}

TEST_F(RelayCoreClusterTest, LocalOnlyMessagesStayOnTheirNodeAndKeepTheTopicInOrder) {
  Node& a = add_node();
  Node& b = add_node();
  FakePeer& pub = a.connect("did:key:pub");
  FakePeer& here = a.connect("did:key:here");
  FakePeer& there = b.connect("did:key:there");
  subscribe(a, here);
  subscribe(b, there);
  publish(a, pub, "before");
  settle();
  publish(a, pub, "local", {{"localOnly", true}});
  answer(pub);                              // "before"'s
  EXPECT_EQ(answer(pub)["result"], true);  // kept here at once: nothing to wait for
  publish(a, pub, "after");
  settle();
  EXPECT_EQ(stream.entries.size(), 2u);  // "before" and "after"
  EXPECT_EQ(delivered(here), (std::vector<std::string>{"before", "local", "after"}));
  EXPECT_EQ(delivered(there), (std::vector<std::string>{"before", "after"}));
  const json page = history(a, here, {{"limit", 10}});
  ASSERT_EQ(page["messages"].size(), 3u);
  EXPECT_EQ(page["messages"][1]["message"], "local");
  // Its ack stays here too.
  for (const json& delivery : deliveries(here)) ack(a, here, delivery);
  EXPECT_EQ(stream.entries.size(), 4u);  // the acks of "before" and "after"
}

TEST_F(RelayCoreClusterTest, APublisherNetworkPaysOnEveryNode) {
  limits.max_stored_bytes_per_ip = 2 * Mailbox::cost(kTopic.size(), 3);
  Node& a = add_node();
  Node& b = add_node();
  FakePeer& first = a.connect("did:key:first");
  first.network = "203.0.113.7";
  publish(a, first, "one");
  publish(a, first, "two");
  settle();
  // Another client id from the same network on the other node: over the quota there too.
  auto second = std::make_unique<FakePeer>("did:key:second");
  second->network = "203.0.113.7";
  b.core.attach(*second);
  publish(b, *second, "333");
  EXPECT_EQ(answer(*second)["error"]["code"], -32000) << "the network's quota is spent";
  b.core.detach(*second);
}

TEST_F(RelayCoreClusterTest, EphemeralMessagesReachLiveSubscribersOnEveryNodeButLocalOnlyOnesDoNot) {
  Node& a = add_node();
  Node& b = add_node();
  FakePeer& pub = a.connect("did:key:pub");
  FakePeer& there = b.connect("did:key:there");
  FakePeer& pub_there = b.connect("did:key:pub");  // the publisher's own client on the other node
  subscribe(b, there);
  subscribe(b, pub_there);
  publish(a, pub, "live", {{"ephemeral", true}});
  publish(a, pub, "live-here-only", {{"ephemeral", true}, {"localOnly", true}});
  EXPECT_EQ(delivered(there), std::vector<std::string>{"live"});
  EXPECT_TRUE(delivered(pub_there).empty());
  EXPECT_TRUE(stream.entries.empty());
}

TEST_F(RelayCoreClusterTest, ANodeThatCannotKeepAPublishAnswersWithTheErrorAndKeepsNothing) {
  Node& a = add_node();
  FakePeer& pub = a.connect("did:key:pub");
  a.journal.up = false;
  publish(a, pub, "lost");
  const json refused = answer(pub);
  EXPECT_EQ(refused["error"]["code"], -32603);
  EXPECT_NE(refused["error"]["message"].get<std::string>().find("not connected to NATS"), std::string::npos);
  EXPECT_EQ(a.core.mailbox().message_count(), 0u);
}

TEST_F(RelayCoreClusterTest, ANodeThatStartsLaterLoadsTheStreamWithItsAcksAndExpiries) {
  Node& a = add_node();
  FakePeer& pub = a.connect("did:key:pub");
  FakePeer& sub = a.connect("did:key:sub");
  subscribe(a, sub);
  publish(a, pub, "short", {{"ttl", 60}});
  publish(a, pub, "acked");
  publish(a, pub, "pending");
  settle();
  const auto got = deliveries(sub);
  ack(a, sub, got.at(1));
  clock.advance(std::chrono::seconds(61));
  Node& late = add_node();
  EXPECT_EQ(late.core.mailbox().message_count(), 2u);  // "short" expired
  FakePeer& again = late.connect("did:key:sub");
  subscribe(late, again);
  EXPECT_EQ(delivered(again), std::vector<std::string>{"pending"});
}

}  // namespace
}  // namespace keylink::relay
