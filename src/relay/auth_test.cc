#include "keylink/relay/auth.h"

#include <gtest/gtest.h>

#include "keylink/crypto/did_key.h"
#include "keylink/crypto/jwt.h"

namespace keylink::relay {
namespace {

class AuthTest : public ::testing::Test {
 protected:
  FixedRng rng{9};
  crypto::Ed25519KeyPair key = crypto::Ed25519KeyPair::generate(rng);
  std::vector<std::string> audiences{"ws://127.0.0.1:8787", "wss://relay.example"};
  std::int64_t now = 1'700'000'000;

  std::string token(std::string_view aud, std::int64_t iat, std::int64_t ttl = 86400) {
    return crypto::sign_relay_auth_jwt(key, "00ff", aud, iat, ttl);
  }
};

TEST_F(AuthTest, AcceptsAFreshTokenForOneOfOurUrls) {
  auto id = authenticate(token("wss://relay.example", now), audiences, now);
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(*id, crypto::did_key_from_ed25519(key.public_key()));
}

TEST_F(AuthTest, RefusesWithAReason) {
  auto reason = [&](const std::string& t) {
    auto id = authenticate(t, audiences, now);
    EXPECT_FALSE(id);
    return id ? std::string() : id.error().message;
  };
  EXPECT_NE(reason("").find("no auth token"), std::string::npos);
  EXPECT_NE(reason(token("ws://127.0.0.1:8787", now - 100, 50)).find("expired"), std::string::npos);
  EXPECT_NE(reason(token("ws://127.0.0.1:8787", now + 61)).find("future"), std::string::npos);
  EXPECT_TRUE(authenticate(token("ws://127.0.0.1:8787", now + 60), audiences, now));
  EXPECT_NE(reason(token("wss://elsewhere", now)).find("another relay"), std::string::npos);
  EXPECT_NE(reason(token("ws://127.0.0.1:8787", now, 86401)).find("more than a day"), std::string::npos);
  EXPECT_NE(reason(token("ws://127.0.0.1:8787", now - 1000, 365 * 86400)).find("more than a day"), std::string::npos);
  EXPECT_TRUE(authenticate(token("ws://127.0.0.1:8787", now, 86400), audiences, now));
  std::string tampered = token("wss://relay.example", now);
  tampered[tampered.size() - 5] = tampered[tampered.size() - 5] == 'A' ? 'B' : 'A';
  EXPECT_NE(reason(tampered).find("auth token: "), std::string::npos);
}

TEST(QueryParam, FindsAndDecodes) {
  EXPECT_EQ(query_param("/?auth=a.b.c&projectId=x", "auth"), "a.b.c");
  EXPECT_EQ(query_param("/?projectId=x&ua=wc%2F2+js", "ua"), "wc/2 js");
  EXPECT_EQ(query_param("/?authx=1", "auth"), "");
  EXPECT_EQ(query_param("/", "auth"), "");
  EXPECT_EQ(auth_token("/", "Bearer t0k"), "t0k");
  EXPECT_EQ(auth_token("/?auth=q", "Bearer t0k"), "q");
}

}  // namespace
}  // namespace keylink::relay
