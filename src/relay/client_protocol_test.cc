#include "client_protocol.h"

#include <gtest/gtest.h>

namespace keylink::relay::client_protocol {
namespace {

using wire::Json;

TEST(RelayUrl, ParsesHostPortAndPath) {
  auto url = parse_relay_url("ws://127.0.0.1:8787").value();
  EXPECT_EQ(url.host, "127.0.0.1");
  EXPECT_EQ(url.port, "8787");
  EXPECT_EQ(url.path, "/");
  url = parse_relay_url("ws://relay.example/v1/ws").value();
  EXPECT_EQ(url.host, "relay.example");
  EXPECT_EQ(url.port, "80");
  EXPECT_EQ(url.path, "/v1/ws");
  url = parse_relay_url("ws://[::1]:9000/x").value();
  EXPECT_EQ(url.host, "::1");
  EXPECT_EQ(url.port, "9000");
  EXPECT_FALSE(url.tls);
  EXPECT_FALSE(parse_relay_url("http://relay.example"));
  EXPECT_FALSE(parse_relay_url("wss//relay.example"));
  EXPECT_FALSE(parse_relay_url("wss://:443"));
  EXPECT_FALSE(parse_relay_url("ws://:80"));
  EXPECT_FALSE(parse_relay_url("ws://host:80x"));
  EXPECT_FALSE(parse_relay_url("ws://host/?auth=x"));
}

TEST(RelayUrl, AListNamesEachNode) {
  auto nodes = parse_relay_urls(" ws://127.0.0.1:8787 ,wss://relay.example/v1").value();
  ASSERT_EQ(nodes.size(), 2u);
  EXPECT_EQ(nodes[0].text, "ws://127.0.0.1:8787");
  EXPECT_EQ(nodes[0].url.port, "8787");
  EXPECT_EQ(nodes[1].text, "wss://relay.example/v1");
  EXPECT_TRUE(nodes[1].url.tls);
  EXPECT_EQ(parse_relay_urls("ws://a").value().size(), 1u);
  auto bad = parse_relay_urls("ws://a:1,https://b");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("'https://b' must start with ws:// or wss://"), std::string::npos);
  EXPECT_FALSE(parse_relay_urls(""));
  EXPECT_FALSE(parse_relay_urls("ws://a,"));
  EXPECT_FALSE(parse_relay_urls("ws://a,,ws://b"));
}

TEST(RelayUrl, WssIsTlsOnPort443UnlessTheUrlSaysOtherwise) {
  auto url = parse_relay_url("wss://relay.example").value();
  EXPECT_TRUE(url.tls);
  EXPECT_EQ(url.host, "relay.example");
  EXPECT_EQ(url.port, "443");
  EXPECT_EQ(url.path, "/");
  url = parse_relay_url("wss://[::1]:8443/v1").value();
  EXPECT_TRUE(url.tls);
  EXPECT_EQ(url.host, "::1");
  EXPECT_EQ(url.port, "8443");
  EXPECT_EQ(url.path, "/v1");
  EXPECT_FALSE(parse_relay_url("ws://relay.example").value().tls);
}

TEST(ConnectTarget, SortsAndEncodesTheQuery) {
  const RelayUrl url{"127.0.0.1", "1", "/"};
  EXPECT_EQ(connect_target(url, "a.b_c-d", "my project/1"),
            "/?auth=a.b_c-d&projectId=my+project%2F1&ua=keylink&useOnCloseEvent=true");
  EXPECT_EQ(form_urlencode("a+b=c&d~"), "a%2Bb%3Dc%26d%7E");
}

TEST(SubscriptionId, IsSha256HexOfTopicAndClientId) {
  // sha256("abc") — the topic and the client id are concatenated.
  EXPECT_EQ(subscription_id("a", "bc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(RequestIds, AreMillisecondsTimesAThousandAndIncrease) {
  RequestIds ids;
  EXPECT_EQ(ids.next(1'700'000'000'000), 1'700'000'000'000'000);
  EXPECT_EQ(ids.next(1'700'000'000'000), 1'700'000'000'000'001);
  EXPECT_EQ(ids.next(1'699'999'999'999), 1'700'000'000'000'002);  // the clock stepped back
  EXPECT_EQ(ids.next(1'700'000'000'005), 1'700'000'000'005'000);
}

TEST(Frames, PublishCarriesTheFieldsAndEphemeralAndLocalOnlyOnlyWhenSet) {
  OutgoingMessage message{.topic = "t", .message = "m", .ttl = 300, .tag = 1108};
  Json frame = Json::parse(publish_text(7, message));
  EXPECT_EQ(frame["id"], 7);
  EXPECT_EQ(frame["jsonrpc"], "2.0");
  EXPECT_EQ(frame["method"], "irn_publish");
  EXPECT_EQ(frame["params"], (Json{{"topic", "t"}, {"message", "m"}, {"ttl", 300}, {"tag", 1108}, {"prompt", false}}));
  message.ephemeral = true;
  EXPECT_EQ(Json::parse(publish_text(8, message))["params"]["ephemeral"], true);
  EXPECT_FALSE(Json::parse(publish_text(8, message))["params"].contains("localOnly"));
  message.local_only = true;
  EXPECT_EQ(Json::parse(publish_text(9, message))["params"]["localOnly"], true);
}

TEST(Frames, AckKeepsTheIdAndItsType) {
  EXPECT_EQ(ack_text(wire::RpcId(std::int64_t{42})), R"({"id":42,"jsonrpc":"2.0","result":true})");
  EXPECT_EQ(ack_text(wire::RpcId(std::string("1234567890123456789"))),
            R"({"id":"1234567890123456789","jsonrpc":"2.0","result":true})");
}

TEST(Incoming, ReadsASubscriptionDelivery) {
  auto incoming =
      parse_incoming(R"({"id":5,"jsonrpc":"2.0","method":"irn_subscription","params":{"id":"sub","data":)"
                     R"({"topic":"t","message":"m","publishedAt":1700000000000,"tag":1108,"attestation":null}}})",
                     1 << 20);
  auto* delivery = std::get_if<Delivery>(&incoming);
  ASSERT_NE(delivery, nullptr);
  EXPECT_EQ(delivery->id, wire::RpcId(std::int64_t{5}));
  EXPECT_EQ(delivery->message.topic, "t");
  EXPECT_EQ(delivery->message.message, "m");
  EXPECT_EQ(delivery->message.published_at, 1700000000000);
  EXPECT_EQ(delivery->message.tag, 1108);
}

TEST(Incoming, ReadsResultsAndErrors) {
  auto ok = std::get<Answer>(parse_incoming(R"({"id":9,"jsonrpc":"2.0","result":true})", 1 << 20));
  EXPECT_EQ(ok.id, 9);
  ASSERT_TRUE(ok.result);
  EXPECT_EQ(*ok.result, true);
  auto refused = std::get<Answer>(
      parse_incoming(R"({"id":10,"jsonrpc":"2.0","error":{"code":-32602,"message":"ttl too low"}})", 1 << 20));
  EXPECT_FALSE(refused.result);
  EXPECT_EQ(refused.error, "ttl too low");
}

TEST(Incoming, IgnoresWhatItCannotUse) {
  for (const char* frame :
       {"", "not json", "[1,2]", R"({"id":1,"jsonrpc":"2.0","result":true)",
        R"({"id":"x","jsonrpc":"2.0","result":true})",
        R"({"id":1,"jsonrpc":"2.0","method":"irn_subscription","params":{"data":{"topic":1}}})",
        R"({"id":1,"jsonrpc":"2.0","method":"irn_other","params":{}})",
        R"({"jsonrpc":"2.0","method":"irn_subscription","params":{"data":{"topic":"t","message":"m"}}})"}) {
    EXPECT_TRUE(std::holds_alternative<Ignored>(parse_incoming(frame, 1 << 20))) << frame;
  }
  EXPECT_TRUE(std::holds_alternative<Ignored>(parse_incoming(std::string(100, '['), 1 << 20)));
  EXPECT_TRUE(std::holds_alternative<Ignored>(parse_incoming(R"({"id":9,"jsonrpc":"2.0","result":true})", 10)));
}

TEST(Fetch, ReadsMessagesAndHasMore) {
  auto page = parse_fetch_result(Json::parse(
      R"({"messages":[{"topic":"t","message":"a","publishedAt":1,"tag":2},{"topic":5},{"topic":"t","message":"b"}],"hasMore":true})"));
  ASSERT_EQ(page.messages.size(), 2u);
  EXPECT_EQ(page.messages[0].message, "a");
  EXPECT_EQ(page.messages[1].message, "b");
  EXPECT_TRUE(page.has_more);
  EXPECT_FALSE(parse_fetch_result(Json::parse(R"({"messages":[]})")).has_more);
  EXPECT_TRUE(parse_fetch_result(Json()).messages.empty());
}

TEST(DedupeWindow, DropsRepeatsWithinTheWindow) {
  DedupeWindow window(2);
  EXPECT_TRUE(window.first_time("t", "a"));
  EXPECT_FALSE(window.first_time("t", "a"));
  EXPECT_TRUE(window.first_time("u", "a"));  // another topic
  EXPECT_TRUE(window.first_time("t1", "0"));
  EXPECT_TRUE(window.first_time("t", "10"));  // not confused with ("t1", "0")
  EXPECT_TRUE(window.first_time("t", "a"));   // fell out of the window
}

}  // namespace
}  // namespace keylink::relay::client_protocol
