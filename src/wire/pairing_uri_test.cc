#include "keylink/wire/pairing_uri.h"

#include <gtest/gtest.h>

#include "keylink/base/encoding.h"
#include "keylink/wire/errors.h"
#include "keylink/wire/keys.h"

namespace keylink::wire {
namespace {

constexpr std::string_view kSymKey = "0653ca620c7b4990392e1c53c4a51c14a2840cd20f0f1524cf435b17b6fe988c";

class PairingUriTest : public ::testing::Test {
 protected:
  ManualClock clock{TimePoint(std::chrono::seconds(1'700'000'000))};
  std::string topic = topic_of(from_hex(kSymKey).value());

  std::string uri_with(std::string_view query) { return "wc:" + topic + "@2?" + std::string(query); }
};

TEST_F(PairingUriTest, FormatsLikeWalletConnectUtils) {
  PairingUri uri;
  uri.sym_key = Secret<32>(from_hex(kSymKey).value());
  uri.topic = topic;
  uri.expiry = 1'700'000'300;
  uri.methods = {"wc_sessionPropose", "wc_sessionRequest"};
  // Keys sorted, values form-urlencoded: the comma becomes %2C, as URLSearchParams writes it.
  EXPECT_EQ(uri.to_string(), "wc:" + topic +
                                 "@2?expiryTimestamp=1700000300&methods=wc_sessionPropose%2Cwc_sessionRequest"
                                 "&relay-protocol=irn&symKey=" +
                                 std::string(kSymKey));
}

TEST_F(PairingUriTest, CreateThenParseRoundTrips) {
  FixedRng rng(5);
  PairingUri made = PairingUri::create(rng, clock, {"keylink_link"});
  made.methods.insert(made.methods.begin(), "");  // an empty name survives the trip (fuzzing found it lost)
  made.kl_params["kl-code"] = "123 456";
  made.relay_params["data"] = "a&b=c";
  auto parsed = PairingUri::parse(made.to_string(), clock);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->topic, made.topic);
  EXPECT_TRUE(parsed->sym_key == made.sym_key);
  EXPECT_EQ(parsed->expiry, clock.unix_seconds() + 300);
  EXPECT_EQ(parsed->methods, (std::vector<std::string>{"", "keylink_link"}));
  EXPECT_EQ(parsed->kl_params.at("kl-code"), "123 456");
  EXPECT_EQ(parsed->relay_params.at("data"), "a&b=c");
  EXPECT_EQ(parsed->relay_protocol, "irn");
}

TEST_F(PairingUriTest, AcceptsTheAndroidFormAndEmptyMethods) {
  auto parsed = PairingUri::parse(
      "wc://" + topic + "@2?expiryTimestamp=1700000001&methods=&relay-protocol=irn&symKey=" + std::string(kSymKey),
      clock);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_TRUE(parsed->methods.empty());
}

TEST_F(PairingUriTest, RefusesAnExpiredUriSayingWhatToDo) {
  auto parsed = PairingUri::parse(
      uri_with("expiryTimestamp=1700000000&relay-protocol=irn&symKey=" + std::string(kSymKey)), clock);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, Errc::kExpired);
  EXPECT_NE(parsed.error().message.find("ask for a new one"), std::string::npos);
}

TEST_F(PairingUriTest, RefusesATopicThatDoesNotMatchTheKey) {
  std::string other = topic;
  other[0] = other[0] == 'a' ? 'b' : 'a';
  auto parsed = PairingUri::parse(
      "wc:" + other + "@2?expiryTimestamp=1700000300&relay-protocol=irn&symKey=" + std::string(kSymKey), clock);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().message, "pairing URI: the topic does not match symKey: the URI was altered or damaged");
}

TEST_F(PairingUriTest, RefusesMalformedUris) {
  const std::string key(kSymKey);
  const std::pair<std::string, Errc> cases[] = {
      {"https://example.com", Errc::kMalformed},
      {"wc:" + topic + "@1?key=abc&bridge=x", Errc::kBadVersion},
      {"wc:" + topic + "@3?symKey=" + key, Errc::kBadVersion},
      {"wc:" + topic + "?symKey=" + key, Errc::kMalformed},
      {uri_with("expiryTimestamp=1700000300&relay-protocol=irn"), Errc::kMalformed},
      {uri_with("expiryTimestamp=1700000300&relay-protocol=irn&symKey=" + key.substr(2)), Errc::kMalformed},
      {uri_with("expiryTimestamp=1700000300&symKey=" + key), Errc::kMalformed},
      {uri_with("relay-protocol=irn&symKey=" + key), Errc::kMalformed},
      {uri_with("expiryTimestamp=soon&relay-protocol=irn&symKey=" + key), Errc::kMalformed},
      {uri_with("expiryTimestamp=1700000300&relay-protocol=irn&symKey=" + key + "&symKey=" + key), Errc::kMalformed},
      {uri_with("expiryTimestamp=1700000300&relay-protocol=ir%2&symKey=" + key), Errc::kMalformed},
      {"wc:" + std::string(64, 'A') + "@2?expiryTimestamp=1700000300&relay-protocol=irn&symKey=" + key,
       Errc::kMalformed},
      {"wc:" + std::string(kMaxUriLength, 'a'), Errc::kTooLarge},
  };
  for (const auto& [text, code] : cases) {
    auto parsed = PairingUri::parse(text, clock);
    ASSERT_FALSE(parsed) << text;
    EXPECT_EQ(parsed.error().code, code) << text << ": " << parsed.error().message;
  }
}

}  // namespace
}  // namespace keylink::wire
