#include "keylink/relay/push_webhook.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace keylink::relay {
namespace {

TEST(PushWebhook, TheBodyNamesWhoWhereAndWhatKindAndEscapesThem) {
  const auto body = nlohmann::json::parse(push_body({"did:key:z6Mk\"x", "topic\n", 1108}));
  EXPECT_EQ(body, (nlohmann::json{{"clientId", "did:key:z6Mk\"x"}, {"topic", "topic\n"}, {"tag", 1108}}));
}

TEST(PushWebhook, OnlyHttpUrlsOpen) {
  boost::asio::io_context io;
  EXPECT_TRUE(PushWebhook::open(io, "http://127.0.0.1:8080/push"));
  EXPECT_TRUE(PushWebhook::open(io, "http://[::1]:8080"));
  EXPECT_TRUE(PushWebhook::open(io, "http://push.example"));
  auto https = PushWebhook::open(io, "https://push.example/wake");
  ASSERT_FALSE(https);
  EXPECT_NE(https.error().message.find("https is not supported"), std::string::npos) << https.error().message;
  for (const char* bad :
       {"ftp://x", "http://", "http://host:0", "http://host:99999", "http://[::1", "http://host:80x"}) {
    EXPECT_FALSE(PushWebhook::open(io, bad)) << bad;
  }
}

}  // namespace
}  // namespace keylink::relay
