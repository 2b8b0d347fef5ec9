#include "keylink/relay/relay_core.h"

#include <gtest/gtest.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "keylink/relay/journal.h"
#include "testing/post_queue.h"
#include "testing/temp_dir.h"

namespace keylink::relay {
namespace {

using nlohmann::json;

class FakePeer final : public Peer {
 public:
  using Peer::Peer;
  void send(std::string_view frame) override { frames.push_back(json::parse(frame)); }
  void close(std::uint16_t code, std::string_view) override { closed_with = code; }

  std::vector<json> take() { return std::exchange(frames, {}); }
  std::vector<json> frames;
  std::uint16_t closed_with = 0;
};

const std::string kTopic(64, 'a');

class RelayCoreTest : public ::testing::Test {
 protected:
  RelayCoreTest() { limits.publishes_per_second = 0; }

  RelayCore& core() {
    if (!core_) core_ = std::make_unique<RelayCore>(limits, clock, nullptr, push);
    return *core_;
  }
  FakePeer& connect(const std::string& client) {
    peers_.push_back(std::make_unique<FakePeer>(client));
    core().attach(*peers_.back());
    return *peers_.back();
  }
  // One frame in a read of its own.
  void read(FakePeer& peer, const std::string& frame) {
    core().on_frame(peer, frame);
    core().on_read_end(peer);
  }
  json call(FakePeer& peer, const std::string& method, const json& params, json id = 1) {
    read(peer, json{{"id", id}, {"jsonrpc", "2.0"}, {"method", method}, {"params", params}}.dump());
    EXPECT_FALSE(peer.frames.empty()) << method << " got no answer";
    json answer = peer.frames.empty() ? json() : peer.frames.front();
    peer.frames.erase(peer.frames.begin());
    return answer;
  }
  json publish(FakePeer& peer, const std::string& message, json extra = json::object()) {
    json params = {{"topic", kTopic}, {"message", message}, {"ttl", 300}, {"tag", 1108}};
    params.update(extra);
    return call(peer, "irn_publish", params);
  }
  void ack(FakePeer& peer, const json& delivery) {
    read(peer, json{{"id", delivery["id"]}, {"jsonrpc", "2.0"}, {"result", true}}.dump());
  }
  static std::vector<std::string> messages(const std::vector<json>& deliveries) {
    std::vector<std::string> out;
    for (const auto& d : deliveries) out.push_back(d["params"]["data"]["message"]);
    return out;
  }

  Limits limits;
  ManualClock clock;
  PushSink* push = nullptr;
  std::unique_ptr<RelayCore> core_;
  std::vector<std::unique_ptr<FakePeer>> peers_;
};

TEST_F(RelayCoreTest, PublishReachesALiveSubscriberWithTheWalletConnectShape) {
  FakePeer& sub = connect("did:key:sub");
  FakePeer& pub = connect("did:key:pub");
  const json subscribed = call(sub, "irn_subscribe", {{"topic", kTopic}});
  ASSERT_TRUE(subscribed["result"].is_string());
  EXPECT_EQ(publish(pub, "hello")["result"], true);
  auto deliveries = sub.take();
  ASSERT_EQ(deliveries.size(), 1u);
  const json& d = deliveries[0];
  EXPECT_EQ(d["method"], "irn_subscription");
  EXPECT_EQ(d["params"]["id"], subscribed["result"]);
  EXPECT_EQ(d["params"]["data"]["topic"], kTopic);
  EXPECT_EQ(d["params"]["data"]["message"], "hello");
  EXPECT_EQ(d["params"]["data"]["tag"], 1108);
  EXPECT_EQ(d["params"]["data"]["publishedAt"], clock.unix_millis());
  EXPECT_TRUE(d["params"]["data"]["attestation"].is_null());
  EXPECT_TRUE(pub.take().empty());  // the publisher does not get its own message
}

TEST_F(RelayCoreTest, TheMailboxDeliversOnSubscribeUntilAcked) {
  FakePeer& pub = connect("did:key:pub");
  publish(pub, "one");
  publish(pub, "two");
  FakePeer& first = connect("did:key:sub");
  call(first, "irn_subscribe", {{"topic", kTopic}});
  auto deliveries = first.take();
  EXPECT_EQ(messages(deliveries), (std::vector<std::string>{"one", "two"}));
  ack(first, deliveries[0]);
  core().detach(first);

  FakePeer& again = connect("did:key:sub");  // the same client after a reconnect
  call(again, "irn_subscribe", {{"topic", kTopic}});
  EXPECT_EQ(messages(again.take()), std::vector<std::string>{"two"});
}

TEST_F(RelayCoreTest, ClientsAreForgottenOnceGoneWithTheirMessages) {
  FakePeer& pub = connect("did:key:pub");
  FakePeer& sub = connect("did:key:sub");
  call(sub, "irn_subscribe", {{"topic", kTopic}});
  publish(pub, "one");
  ack(sub, sub.take().at(0));
  EXPECT_EQ(core().metrics().known_clients, 2u);
  core().detach(pub);
  core().detach(sub);
  EXPECT_EQ(core().metrics().known_clients, 2u);  // the message and its ack name them until it expires
  clock.advance(std::chrono::seconds(301));
  core().prune();
  EXPECT_EQ(core().metrics().known_clients, 0u);
}

// A store may hold the same message twice (a seq apart, published again once the first was gone from the
// mailbox): loading it keeps only the clients that something holds, here the publisher of the first.
TEST_F(RelayCoreTest, LoadingAStoreKeepsOnlyTheClientsItsMessagesHold) {
  keylink::testing::TempDir dir;
  keylink::testing::PostQueue loop;
  const std::string path = dir.file("relay.db");
  const std::int64_t now = clock.unix_millis();
  const StoredMessage first{
      .topic = kTopic, .message = "same", .tag = 1, .published_at_ms = now, .expires_at_ms = now + 300'000, .seq = 1};
  StoredMessage again = first;
  again.seq = 2;
  {
    auto journal = open_sqlite_journal(path, Durability::kProcess, loop.poster());
    ASSERT_TRUE(journal) << journal.error().message;
    ASSERT_TRUE((*journal)->load(
        now, [](JournaledMessage) {}, [](const StoredAck&) {}));
    (*journal)->append({{first, "did:key:first"}, {again, "did:key:again"}}, {}, {});
  }
  auto journal = open_sqlite_journal(path, Durability::kProcess, loop.poster());
  ASSERT_TRUE(journal) << journal.error().message;
  RelayCore loaded(limits, clock, journal->get());
  ASSERT_TRUE(loaded.load());
  EXPECT_EQ(loaded.metrics().known_clients, 1u);
}

// Acks written as WalletConnect writes them skip the JSON parser; any other spelling of an ack counts
// the same, and a frame that only looks like one gets the parser's answer.
TEST_F(RelayCoreTest, AcksCountInAnySpellingAndNearMissesGetTheParsersAnswer) {
  FakePeer& pub = connect("did:key:pub");
  for (const char* text : {"one", "two", "three"}) publish(pub, text);
  FakePeer& sub = connect("did:key:sub");
  call(sub, "irn_subscribe", {{"topic", kTopic}});
  auto deliveries = sub.take();
  ASSERT_EQ(deliveries.size(), 3u);
  const std::string id0 = deliveries[0]["id"].dump(), id1 = deliveries[1]["id"].dump();
  core().on_frame(sub, "{\"id\":" + id0 + ",\"jsonrpc\":\"2.0\",\"result\":true}");
  core().on_frame(sub, "{ \"result\": true, \"jsonrpc\": \"2.0\", \"id\": " + id1 + " }");
  for (const std::string bad :
       {"{\"id\":007,\"jsonrpc\":\"2.0\",\"result\":true}", "{\"id\":-,\"jsonrpc\":\"2.0\",\"result\":true}",
        "{\"id\":,\"jsonrpc\":\"2.0\",\"result\":true}"}) {
    core().on_frame(sub, bad);
    const auto answers = sub.take();
    ASSERT_EQ(answers.size(), 1u) << bad;
    EXPECT_EQ(answers[0]["error"]["code"], -32700) << bad;
  }
  core().detach(sub);
  FakePeer& again = connect("did:key:sub");
  call(again, "irn_subscribe", {{"topic", kTopic}});
  EXPECT_EQ(messages(again.take()), std::vector<std::string>{"three"});
}
TEST_F(RelayCoreTest, SameMessageTwiceIsStoredAndDeliveredOnce) {
  FakePeer& sub = connect("did:key:sub");
  FakePeer& pub = connect("did:key:pub");
  call(sub, "irn_subscribe", {{"topic", kTopic}});
  EXPECT_EQ(publish(pub, "x")["result"], true);
  EXPECT_EQ(publish(pub, "x")["result"], true);
  EXPECT_EQ(sub.take().size(), 1u);
  EXPECT_EQ(core().mailbox().message_count(), 1u);
}

// The publishes of one read are accepted together, but every frame is still answered in order: a frame
// of another kind first answers the publishes before it, and the store limit counts those waiting.
TEST_F(RelayCoreTest, ThePublishesOfOneReadAreAnsweredInOrder) {
  limits.max_stored_bytes = 3 * Mailbox::cost(kTopic.size(), 1);
  FakePeer& sub = connect("did:key:sub");
  FakePeer& pub = connect("did:key:pub");
  call(sub, "irn_subscribe", {{"topic", kTopic}});
  auto publish_frame = [](int id, const std::string& message, int ttl = 300) {
    return json{{"id", id},
                {"jsonrpc", "2.0"},
                {"method", "irn_publish"},
                {"params", {{"topic", kTopic}, {"message", message}, {"ttl", ttl}}}}
        .dump();
  };
  core().on_frame(pub, publish_frame(1, "a"));
  core().on_frame(pub, publish_frame(2, "b"));
  EXPECT_TRUE(pub.frames.empty());  // waiting for the end of the read
  core().on_frame(pub, publish_frame(3, "c", 1));
  EXPECT_EQ(pub.frames.size(), 3u);             // the error answers after the two before it
  core().on_frame(pub, publish_frame(4, "a"));  // the same as 1: answered, kept once
  core().on_frame(pub, publish_frame(5, "c"));
  core().on_frame(pub, publish_frame(6, "d"));  // over the store limit with 1, 2 and 5 waiting
  core().on_read_end(pub);
  const auto answers = pub.take();
  ASSERT_EQ(answers.size(), 6u);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(answers[i]["id"], i + 1);
  EXPECT_EQ(answers[0]["result"], true);
  EXPECT_EQ(answers[1]["result"], true);
  EXPECT_NE(answers[2]["error"]["message"].get<std::string>().find("--min-ttl"), std::string::npos);
  EXPECT_EQ(answers[3]["result"], true);
  EXPECT_EQ(answers[4]["result"], true);
  EXPECT_NE(answers[5]["error"]["message"].get<std::string>().find("--max-stored-bytes"), std::string::npos);
  EXPECT_EQ(messages(sub.take()), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(core().mailbox().message_count(), 3u);
}

TEST_F(RelayCoreTest, EphemeralMessagesReachLiveSubscribersOnlyAndAreNeverStored) {
  FakePeer& sub = connect("did:key:sub");
  FakePeer& pub = connect("did:key:pub");
  call(sub, "irn_subscribe", {{"topic", kTopic}});
  EXPECT_EQ(publish(pub, "secret", {{"ephemeral", true}, {"localOnly", true}})["result"], true);
  EXPECT_EQ(sub.take().size(), 1u);
  EXPECT_EQ(core().mailbox().message_count(), 0u);
}

// localOnly (keylink's): a single node keeps every message on itself, so the flag changes neither
// delivery nor storage; it is counted, and a value that is not a boolean is refused.
TEST_F(RelayCoreTest, LocalOnlyIsReadCountedAndMustBeABoolean) {
  FakePeer& sub = connect("did:key:sub");
  FakePeer& pub = connect("did:key:pub");
  call(sub, "irn_subscribe", {{"topic", kTopic}});
  EXPECT_EQ(publish(pub, "kept", {{"localOnly", true}})["result"], true);
  EXPECT_EQ(publish(pub, "live", {{"localOnly", true}, {"ephemeral", true}})["result"], true);
  EXPECT_EQ(publish(pub, "plain", {{"localOnly", false}})["result"], true);
  EXPECT_EQ(messages(sub.take()), (std::vector<std::string>{"kept", "live", "plain"}));
  EXPECT_EQ(core().mailbox().message_count(), 2u);
  EXPECT_EQ(core().metrics().local_only_publishes, 2u);
  EXPECT_EQ(core().metrics().ephemeral_publishes, 1u);
  EXPECT_NE(core().metrics().to_prometheus().find("keylink_relay_local_only_publishes_total 2\n"), std::string::npos);

  const json refused = publish(pub, "odd", {{"localOnly", "yes"}});
  EXPECT_EQ(refused["error"]["code"], -32602);
  EXPECT_EQ(refused["error"]["message"], "params.localOnly must be a boolean");
  EXPECT_TRUE(sub.take().empty());
  EXPECT_EQ(core().metrics().local_only_publishes, 2u);
}

TEST_F(RelayCoreTest, AnswersKeepTheIdType) {
  FakePeer& peer = connect("did:key:a");
  EXPECT_EQ(call(peer, "irn_subscribe", {{"topic", kTopic}}, "1700000000000000123")["id"], "1700000000000000123");
  EXPECT_EQ(call(peer, "irn_subscribe", {{"topic", kTopic}}, 1700000000000000123)["id"], 1700000000000000123);
}

TEST_F(RelayCoreTest, BadRequestsGetErrorsThatNameTheProblem) {
  FakePeer& peer = connect("did:key:a");
  auto error_of = [&](const std::string& frame) {
    core().on_frame(peer, frame);
    auto frames = peer.take();
    EXPECT_EQ(frames.size(), 1u) << frame;
    return frames.empty() ? json() : frames[0]["error"];
  };
  EXPECT_EQ(error_of("not json")["code"], -32700);
  EXPECT_EQ(error_of("[1,2,3]")["code"], -32600);
  EXPECT_EQ(error_of("{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"x\"")["code"], -32700);
  EXPECT_EQ(
      error_of("{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"irn_publish\",\"params\":{\"topic\":\"\xff\"}}")["code"],
      -32700);
  EXPECT_EQ(error_of(R"({"id":1.5,"jsonrpc":"2.0","method":"irn_subscribe","params":{}})")["code"], -32600);
  EXPECT_EQ(error_of(R"({"id":1,"jsonrpc":"1.0","method":"irn_subscribe","params":{}})")["code"], -32600);
  EXPECT_EQ(error_of(R"({"id":1,"jsonrpc":"2.0","method":"irn_subscribe"})")["code"], -32602);
  EXPECT_EQ(error_of(R"({"id":1,"jsonrpc":"2.0","method":"irn_nope","params":{}})")["message"],
            "method irn_nope is not supported");
  EXPECT_EQ(error_of(R"({"id":1,"jsonrpc":"2.0","method":"irn_publish","params":{"topic":3}})")["message"],
            "params.topic must be a string of 1 to 256 bytes");
  json low = publish(peer, "m", {{"ttl", 29}})["error"];
  EXPECT_EQ(low["message"], "ttl of 29 s is below the minimum of 30 s (--min-ttl)");
  // wc_pairingPing and its answer, as @walletconnect/core publishes them: the shortest ttl it uses.
  EXPECT_EQ(publish(peer, "ping", {{"ttl", 30}, {"tag", 1002}})["result"], true);
  limits.max_message_bytes = 4;
  core_.reset();
  FakePeer& fresh = connect("did:key:b");
  EXPECT_EQ(publish(fresh, "12345")["error"]["message"],
            "message of 5 bytes is over the limit of 4 bytes (--max-message-bytes)");
}

TEST_F(RelayCoreTest, LimitsOnSubscriptionsBatchesAndRate) {
  limits.max_subscriptions_per_client = 3;
  limits.publishes_per_second = 1;
  limits.publish_burst = 2;
  FakePeer& peer = connect("did:key:a");
  json topics = json::array();
  for (int i = 0; i < 4; ++i) topics.push_back(std::string(64, static_cast<char>('a' + i)));
  EXPECT_EQ(call(peer, "irn_batchSubscribe", {{"topics", topics}})["error"]["code"], -32000);
  EXPECT_EQ(peer.subscriptions.size(), 3u);  // those before the limit stay subscribed
  json many = json::array();
  for (int i = 0; i < 501; ++i) many.push_back(kTopic);
  EXPECT_NE(call(peer, "irn_batchSubscribe", {{"topics", many}})["error"]["message"].get<std::string>().find("500"),
            std::string::npos);
  EXPECT_EQ(publish(peer, "1")["result"], true);
  EXPECT_EQ(publish(peer, "2")["result"], true);
  EXPECT_NE(publish(peer, "3")["error"]["message"].get<std::string>().find("--publish-rate"), std::string::npos);
  clock.advance(std::chrono::seconds(1));
  EXPECT_EQ(publish(peer, "4")["result"], true);
}

// Reconnecting gives no fresh burst: the bucket is the client id's, and waits for it while not full.
TEST_F(RelayCoreTest, ThePublishRateOutlivesReconnects) {
  limits.publishes_per_second = 1;
  limits.publish_burst = 2;
  FakePeer& first = connect("did:key:a");
  EXPECT_EQ(publish(first, "1")["result"], true);
  FakePeer& second = connect("did:key:a");  // a second connection shares the bucket
  EXPECT_EQ(publish(second, "2")["result"], true);
  EXPECT_NE(publish(second, "3")["error"]["message"].get<std::string>().find("--publish-rate"), std::string::npos);
  core().detach(first);
  core().detach(second);
  core().prune();
  FakePeer& again = connect("did:key:a");
  EXPECT_NE(publish(again, "4")["error"]["message"].get<std::string>().find("--publish-rate"), std::string::npos);
  FakePeer& other = connect("did:key:b");  // another client has its own
  EXPECT_EQ(publish(other, "5")["result"], true);
  core().detach(again);
  clock.advance(std::chrono::seconds(3));
  core().prune();  // full again: forgotten, and a new connection starts full
  FakePeer& later = connect("did:key:a");
  EXPECT_EQ(publish(later, "6")["result"], true);
  EXPECT_EQ(publish(later, "7")["result"], true);
}

// One client, or one network, cannot fill the store: each has a quota of what it keeps, which its
// messages hold after it disconnects, and which frees as they expire.
TEST_F(RelayCoreTest, QuotasPerClientAndPerNetworkOutliveConnections) {
  const std::size_t one = Mailbox::cost(kTopic.size(), 1);
  limits.max_stored_bytes_per_client = 2 * one;
  limits.max_stored_bytes_per_ip = 3 * one;
  auto from = [&](const std::string& client, const std::string& network) -> FakePeer& {
    peers_.push_back(std::make_unique<FakePeer>(client));
    peers_.back()->network = network;
    core().attach(*peers_.back());
    return *peers_.back();
  };
  FakePeer& a = from("did:key:a", "192.0.2.7");
  EXPECT_EQ(publish(a, "1")["result"], true);
  EXPECT_EQ(publish(a, "2")["result"], true);
  json refused = publish(a, "3")["error"];
  EXPECT_NE(refused["message"].get<std::string>().find("--max-stored-bytes-per-client"), std::string::npos);
  core().detach(a);
  FakePeer& a_again = from("did:key:a", "198.51.100.1");  // reconnecting, from elsewhere even, resets nothing
  EXPECT_NE(publish(a_again, "3")["error"]["message"].get<std::string>().find("per-client"), std::string::npos);
  EXPECT_EQ(publish(a_again, "3", {{"ephemeral", true}})["result"], true);  // never kept: no quota
  FakePeer& b = from("did:key:b", "192.0.2.7");                             // another client id from the same network
  EXPECT_EQ(publish(b, "4")["result"], true);
  EXPECT_NE(publish(b, "5")["error"]["message"].get<std::string>().find("--max-stored-bytes-per-ip"),
            std::string::npos);
  FakePeer& c = from("did:key:c", "203.0.113.9");  // and other networks are not affected
  EXPECT_EQ(publish(c, "5")["result"], true);
  clock.advance(std::chrono::seconds(301));
  core().prune();
  EXPECT_EQ(publish(a_again, "6")["result"], true);
  EXPECT_EQ(publish(b, "7")["result"], true);
  EXPECT_EQ(core().metrics().errors["client_quota"], 2u);
  EXPECT_EQ(core().metrics().errors["ip_quota"], 1u);
}

TEST_F(RelayCoreTest, ADeliveryWindowHoldsTheRestOfTheMailboxUntilAcks) {
  limits.delivery_window = 2;
  FakePeer& pub = connect("did:key:pub");
  for (int i = 0; i < 5; ++i) publish(pub, std::to_string(i));
  FakePeer& sub = connect("did:key:sub");
  call(sub, "irn_subscribe", {{"topic", kTopic}});
  auto first = sub.take();
  EXPECT_EQ(messages(first), (std::vector<std::string>{"0", "1"}));
  ack(sub, first[0]);
  auto second = sub.take();
  EXPECT_EQ(messages(second), (std::vector<std::string>{"2"}));
  ack(sub, first[1]);
  ack(sub, second[0]);
  EXPECT_EQ(messages(sub.take()), (std::vector<std::string>{"3", "4"}));
}

TEST_F(RelayCoreTest, FetchAnswersTheMailboxAndEmptiesIt) {
  limits.max_fetch_messages = 2;
  FakePeer& pub = connect("did:key:pub");
  for (int i = 0; i < 3; ++i) publish(pub, std::to_string(i));
  FakePeer& peer = connect("did:key:sub");
  json first = call(peer, "irn_fetchMessages", {{"topic", kTopic}})["result"];
  EXPECT_EQ(first["messages"].size(), 2u);
  EXPECT_EQ(first["hasMore"], true);
  EXPECT_EQ(first["messages"][0]["message"], "0");
  json second = call(peer, "irn_batchFetchMessages", {{"topics", {kTopic}}})["result"];
  EXPECT_EQ(second["messages"].size(), 1u);
  EXPECT_EQ(second["hasMore"], false);
  call(peer, "irn_subscribe", {{"topic", kTopic}});
  EXPECT_TRUE(peer.take().empty());
}

TEST_F(RelayCoreTest, ProposeAndApproveSessionPublishForTheOtherSide) {
  const std::string pairing(64, 'p'), session(64, 's');
  FakePeer& dapp = connect("did:key:dapp");
  FakePeer& wallet = connect("did:key:wallet");
  EXPECT_EQ(
      call(dapp, "wc_proposeSession",
           {{"pairingTopic", pairing}, {"sessionProposal", "proposal"}, {"ttl", 300}, {"correlationId", 1}})["result"],
      true);
  call(wallet, "irn_subscribe", {{"topic", pairing}});
  auto proposal = wallet.take();
  ASSERT_EQ(proposal.size(), 1u);
  EXPECT_EQ(proposal[0]["params"]["data"]["tag"], 1100);
  EXPECT_EQ(call(wallet, "wc_approveSession",
                 {{"sessionTopic", session},
                  {"pairingTopic", pairing},
                  {"sessionProposalResponse", "response"},
                  {"sessionSettlementRequest", "settle"},
                  {"ttl", 300}})["result"],
            true);
  auto response = dapp.take();  // the dApp listens on the pairing topic since it proposed
  ASSERT_EQ(response.size(), 1u);
  EXPECT_EQ(response[0]["params"]["data"]["message"], "response");
  EXPECT_EQ(response[0]["params"]["data"]["tag"], 1101);
  call(dapp, "irn_subscribe", {{"topic", session}});
  auto settle = dapp.take();
  ASSERT_EQ(settle.size(), 1u);
  EXPECT_EQ(settle[0]["params"]["data"]["tag"], 1102);
  EXPECT_TRUE(wallet.take().empty());
}

TEST_F(RelayCoreTest, QueryPagesThroughTopicHistory) {
  FakePeer& peer = connect("did:key:a");
  for (int i = 0; i < 5; ++i) {
    publish(peer, std::to_string(i));
    clock.advance(std::chrono::milliseconds(10));
  }
  json page = call(peer, "keylink_query", {{"topic", kTopic}, {"limit", 2}, {"direction", "desc"}})["result"];
  EXPECT_EQ(page["messages"][0]["message"], "4");
  ASSERT_TRUE(page.contains("cursor"));
  json next = call(peer, "keylink_query",
                   {{"topic", kTopic}, {"limit", 2}, {"direction", "desc"}, {"cursor", page["cursor"]}})["result"];
  EXPECT_EQ(next["messages"][0]["message"], "2");
  EXPECT_EQ(call(peer, "keylink_query", {{"topic", kTopic}, {"limit", 1001}})["error"]["code"], -32602);
  EXPECT_EQ(call(peer, "keylink_query", {{"topic", kTopic}, {"cursor", "zzz"}})["error"]["code"], -32602);
}

// The notices the core hands out, in order.
class PushLog final : public PushSink {
 public:
  void notify(PushNotice notice) override { notices.push_back(std::move(notice)); }
  PushCounts counts() const noexcept override { return {}; }
  std::vector<std::string> clients() const {
    std::vector<std::string> out;
    for (const auto& notice : notices) out.push_back(notice.client_id);
    std::sort(out.begin(), out.end());
    return out;
  }
  std::vector<PushNotice> notices;
};

class RelayCorePushTest : public RelayCoreTest {
 protected:
  RelayCorePushTest() { push = &log; }
  // A client that subscribes to kTopic and goes.
  void went_offline(const std::string& client) {
    FakePeer& peer = connect(client);
    call(peer, "irn_subscribe", {{"topic", kTopic}});
    core().detach(peer);
  }
  json prompt(FakePeer& peer, const std::string& message) { return publish(peer, message, {{"prompt", true}}); }

  PushLog log;
};

TEST_F(RelayCorePushTest, APromptPublishWakesEachOfflineSubscriberOnce) {
  went_offline("did:key:wallet-1");
  went_offline("did:key:wallet-2");
  FakePeer& online = connect("did:key:online");
  call(online, "irn_subscribe", {{"topic", kTopic}});
  FakePeer& dapp = connect("did:key:dapp");
  EXPECT_EQ(prompt(dapp, "sign this")["result"], true);
  EXPECT_EQ(log.clients(), (std::vector<std::string>{"did:key:wallet-1", "did:key:wallet-2"}));
  for (const auto& notice : log.notices) {
    EXPECT_EQ(notice.topic, kTopic);
    EXPECT_EQ(notice.tag, 1108);
  }
  EXPECT_EQ(messages(online.take()), std::vector<std::string>{"sign this"});  // the online one gets the message
  EXPECT_EQ(core().metrics().push_subscriptions, 2u);
}

TEST_F(RelayCorePushTest, NoPushWithoutPromptForOnlineClientsOrForWhatNoOfflineClientCanGet) {
  went_offline("did:key:wallet");
  FakePeer& dapp = connect("did:key:dapp");
  publish(dapp, "no prompt");
  publish(dapp, "prompt false", {{"prompt", false}});
  publish(dapp, "ephemeral", {{"prompt", true}, {"ephemeral", true}});
  EXPECT_TRUE(log.notices.empty());
  prompt(dapp, "once");
  prompt(dapp, "once");  // the same message again: kept and delivered once, woken for once
  EXPECT_EQ(log.notices.size(), 1u);

  log.notices.clear();
  FakePeer& back = connect("did:key:wallet");
  prompt(dapp, "while online");
  core().detach(back);  // gone again without subscribing: nothing to wake it for
  prompt(dapp, "after");
  EXPECT_TRUE(log.notices.empty());
}

TEST_F(RelayCorePushTest, AClientWithAnotherConnectionIsOnlineUntilItUnsubscribesThere) {
  FakePeer& phone = connect("did:key:wallet");
  FakePeer& tablet = connect("did:key:wallet");
  call(phone, "irn_subscribe", {{"topic", kTopic}});
  core().detach(phone);
  FakePeer& dapp = connect("did:key:dapp");
  prompt(dapp, "one");
  EXPECT_TRUE(log.notices.empty());  // the tablet is connected
  call(tablet, "irn_unsubscribe", {{"topic", kTopic}, {"id", "x"}});
  core().detach(tablet);
  prompt(dapp, "two");
  EXPECT_TRUE(log.notices.empty());
}

TEST_F(RelayCorePushTest, OfflineSubscriptionsAreBoundedInNumberAndTime) {
  limits.max_push_subscriptions = 2;
  went_offline("did:key:oldest");
  went_offline("did:key:middle");
  went_offline("did:key:newest");  // the oldest client goes
  FakePeer& dapp = connect("did:key:dapp");
  prompt(dapp, "one");
  EXPECT_EQ(log.clients(), (std::vector<std::string>{"did:key:middle", "did:key:newest"}));

  log.notices.clear();
  clock.advance(std::chrono::seconds(limits.max_ttl_seconds));
  core().prune();
  prompt(dapp, "two");
  EXPECT_TRUE(log.notices.empty());
  EXPECT_EQ(core().metrics().push_subscriptions, 0u);
}

}  // namespace
}  // namespace keylink::relay
