// The link URI: the canonical form round-trips; every field is checked; an expired one is refused.
#include "keylink/link/link_uri.h"

#include <gtest/gtest.h>

#include "keylink/link/errors.h"

namespace keylink::link {
namespace {

using namespace std::chrono_literals;

const TimePoint kNow{std::chrono::seconds(1'700'000'000)};
const std::string kTopic(64, 'a');
const std::string kPub = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";

std::string uri_with(std::string_view params) { return "wc:" + kTopic + "@2?" + std::string(params); }

std::string base_params(std::string_view caps = "light,full") {
  return "methods=keylink_link&relay-protocol=irn&kl-pub=" + kPub + "&kl-code=123456&expiryTimestamp=1700000300" +
         "&kl-caps=" + std::string(caps);
}

Errc code_of(std::string_view text) {
  auto uri = LinkUri::parse(text, kNow);
  EXPECT_FALSE(uri);
  return uri ? Errc{} : static_cast<Errc>(uri.error().code.value());
}

TEST(LinkUriTest, ParsesTheDocumentedForm) {
  auto uri = LinkUri::parse(uri_with(base_params() + "&kl-lan=192.168.1.20:4433"), kNow);
  ASSERT_TRUE(uri) << uri.error().message;
  EXPECT_EQ(topic_text(uri->topic), kTopic);
  EXPECT_EQ(uri->code, "123456");
  EXPECT_EQ(uri->expiry, 1'700'000'300);
  EXPECT_EQ(uri->caps, Capabilities::kLightAndFull);
  EXPECT_EQ(uri->lan, "192.168.1.20:4433");
  auto again = LinkUri::parse(uri->to_string(), kNow);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->to_string(), uri->to_string());
  EXPECT_EQ(again->joiner_key, uri->joiner_key);
}

TEST(LinkUriTest, ReadsPercentEncodedValues) {
  auto uri = LinkUri::parse(uri_with(base_params("light%2Cfull") + "&kl-lan=%5Bfe80%3A%3A1%5D%3A80"), kNow);
  ASSERT_TRUE(uri) << uri.error().message;
  EXPECT_EQ(uri->caps, Capabilities::kLightAndFull);
  EXPECT_EQ(uri->lan, "[fe80::1]:80");
}

TEST(LinkUriTest, RefusesAnExpiredUri) {
  auto uri = LinkUri::parse(uri_with(base_params()), kNow + 300s);
  ASSERT_FALSE(uri);
  EXPECT_EQ(uri.error().code, Errc::kExpired);
  EXPECT_NE(uri.error().message.find("link URI expired; make a new one on the new device"), std::string::npos);
}

TEST(LinkUriTest, RefusesWhatIsNotALinkUri) {
  EXPECT_EQ(code_of("https://example.com"), Errc::kMalformed);
  EXPECT_EQ(code_of("wc:" + kTopic + "@1?" + base_params()), Errc::kUnsupported);
  EXPECT_EQ(code_of("wc:" + kTopic + "?" + base_params()), Errc::kMalformed);
  EXPECT_EQ(code_of(uri_with("methods=wc_sessionPropose&" + base_params().substr(21))), Errc::kUnsupported);
  EXPECT_EQ(code_of(std::string(kMaxLinkUriLength + 1, 'w')), Errc::kTooLarge);
}

TEST(LinkUriTest, ChecksEveryField) {
  std::string params = base_params();
  auto replace = [&](std::string_view from, std::string_view to) {
    std::string out = params;
    out.replace(out.find(from), from.size(), to);
    return uri_with(out);
  };
  EXPECT_EQ(code_of(replace("kl-code=123456", "kl-code=12345")), Errc::kMalformed);
  EXPECT_EQ(code_of(replace("kl-code=123456", "kl-code=12345a")), Errc::kMalformed);
  EXPECT_EQ(code_of(replace("kl-pub=85", "kl-pub=8")), Errc::kMalformed);
  EXPECT_EQ(code_of(replace("kl-pub=85", "kl-pub=X5")), Errc::kMalformed);
  EXPECT_EQ(code_of(replace("kl-caps=light,full", "kl-caps=full")), Errc::kMalformed);
  EXPECT_EQ(code_of(replace("relay-protocol=irn", "relay-protocol=waku")), Errc::kUnsupported);
  EXPECT_EQ(code_of(replace("expiryTimestamp=1700000300", "expiryTimestamp=-5")), Errc::kMalformed);
  EXPECT_EQ(code_of(replace("expiryTimestamp=1700000300", "expiryTimestamp=99999999999999999999")), Errc::kMalformed);
  EXPECT_EQ(code_of(uri_with(base_params() + "&kl-code=123456")), Errc::kMalformed);  // twice
  EXPECT_EQ(code_of(uri_with(base_params() + "&kl-lan=host")), Errc::kMalformed);
  EXPECT_EQ(code_of(uri_with(base_params() + "&kl-lan=host:0")), Errc::kMalformed);
  EXPECT_EQ(code_of(uri_with(base_params() + "&kl-lan=ho st:80")), Errc::kMalformed);
  EXPECT_EQ(code_of(uri_with(base_params() + "&kl-lan=%zz")), Errc::kMalformed);
  EXPECT_EQ(code_of("wc:" + std::string(64, 'A') + "@2?" + base_params()), Errc::kMalformed);
}

TEST(LinkUriTest, NeverCarriesTheDeviceName) {
  LinkUri uri;
  uri.code = "000000";
  uri.expiry = 1'700'000'300;
  const std::string text = uri.to_string();
  EXPECT_EQ(text.find("name"), std::string::npos);
  EXPECT_EQ(text.find("platform"), std::string::npos);
}

TEST(LinkUriTest, LanAddresses) {
  EXPECT_TRUE(is_lan_address("localhost:1"));
  EXPECT_TRUE(is_lan_address("10.0.0.2:65535"));
  EXPECT_TRUE(is_lan_address("[::1]:8080"));
  EXPECT_FALSE(is_lan_address("10.0.0.2:65536"));
  EXPECT_FALSE(is_lan_address(":80"));
  EXPECT_FALSE(is_lan_address("[]:80"));
  EXPECT_FALSE(is_lan_address("a:b:80"));
}

}  // namespace
}  // namespace keylink::link
