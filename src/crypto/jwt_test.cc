#include "keylink/crypto/jwt.h"

#include <gtest/gtest.h>

#include "keylink/base/encoding.h"
#include "keylink/crypto/did_key.h"
#include "keylink/crypto/errors.h"
#include "testing/vectors.h"

namespace keylink::crypto {
namespace {

using testing::hex_secret;
using testing::load_vectors;

constexpr std::int64_t kIat = 1'700'000'000;

std::string b64url(std::string_view text) { return to_base64(as_bytes(text), Base64::kUrlUnpadded); }

struct Parts {
  std::string header, payload, signature;
};

Parts split(const std::string& token) {
  const size_t a = token.find('.'), b = token.find('.', a + 1);
  return {token.substr(0, a), token.substr(a + 1, b - a - 1), token.substr(b + 1)};
}

// A token signed by `key` over the given raw header and payload JSON.
std::string forge(const Ed25519KeyPair& key, std::string_view header, std::string_view payload) {
  const std::string input = b64url(header) + "." + b64url(payload);
  return input + "." + to_base64(key.sign(as_bytes(input)), Base64::kUrlUnpadded);
}

Ed25519KeyPair test_key() {
  FixedRng rng(18);
  return Ed25519KeyPair::generate(rng);
}

void expect_error(const std::string& token, Errc code) {
  auto claims = verify_relay_auth_jwt(token);
  ASSERT_FALSE(claims) << token;
  EXPECT_EQ(claims.error().code, code) << claims.error().message;
}

TEST(Jwt, RelayAuthVector) {
  for (const auto& v : load_vectors("relay_auth_jwt.txt")) {
    const auto key = Ed25519KeyPair::from_seed(hex_secret<32>(v.at("seed")));
    const std::int64_t iat = std::stoll(v.at("iat"));
    EXPECT_EQ(sign_relay_auth_jwt(key, v.at("sub"), v.at("aud"), iat, std::stoll(v.at("ttl"))), v.at("jwt"));
    auto claims = verify_relay_auth_jwt(v.at("jwt"));
    ASSERT_TRUE(claims) << claims.error().message;
    EXPECT_EQ(claims->iss, v.at("iss"));
    EXPECT_EQ(claims->sub, v.at("sub"));
    EXPECT_EQ(claims->aud, v.at("aud"));
    EXPECT_EQ(claims->iat, iat);
    EXPECT_EQ(claims->exp, iat + std::stoll(v.at("ttl")));
  }
}

TEST(Jwt, ExactHeaderAndPayloadBytes) {
  const auto key = test_key();
  const Parts parts = split(sign_relay_auth_jwt(key, "ab12", "wss://relay.example", kIat, 86400));
  EXPECT_EQ(as_chars(from_base64(parts.header, Base64::kUrlUnpadded).value()), R"({"alg":"EdDSA","typ":"JWT"})");
  EXPECT_EQ(as_chars(from_base64(parts.payload, Base64::kUrlUnpadded).value()),
            R"({"iss":")" + did_key_from_ed25519(key.public_key()) +
                R"(","sub":"ab12","aud":"wss://relay.example","iat":1700000000,"exp":1700086400})");
}

TEST(Jwt, SignVerifyRoundTrip) {
  const auto key = test_key();
  auto claims = verify_relay_auth_jwt(sign_relay_auth_jwt(key, "sub", "wss://relay", kIat, 60));
  ASSERT_TRUE(claims) << claims.error().message;
  EXPECT_EQ(claims->iss, did_key_from_ed25519(key.public_key()));
  EXPECT_EQ(claims->exp, kIat + 60);
}

TEST(Jwt, TamperedPayloadIsABadSignature) {
  const auto key = test_key();
  Parts parts = split(sign_relay_auth_jwt(key, "sub", "wss://relay", kIat, 60));
  std::string payload = std::string(as_chars(from_base64(parts.payload, Base64::kUrlUnpadded).value()));
  payload.replace(payload.find("wss://relay"), 11, "wss://evil!");
  expect_error(parts.header + "." + b64url(payload) + "." + parts.signature, Errc::kBadSignature);
}

TEST(Jwt, SignatureOfAnotherKeyIsABadSignature) {
  const auto key = test_key();
  FixedRng rng(19);
  const auto other = Ed25519KeyPair::generate(rng);
  const std::string payload =
      R"({"iss":")" + did_key_from_ed25519(key.public_key()) + R"(","sub":"s","aud":"a","iat":1,"exp":2})";
  expect_error(forge(other, R"({"alg":"EdDSA","typ":"JWT"})", payload), Errc::kBadSignature);
}

TEST(Jwt, OtherAlgorithmsAreUnsupported) {
  const auto key = test_key();
  const std::string payload =
      R"({"iss":")" + did_key_from_ed25519(key.public_key()) + R"(","sub":"s","aud":"a","iat":1,"exp":2})";
  expect_error(b64url(R"({"alg":"none","typ":"JWT"})") + "." + b64url(payload) + ".", Errc::kUnsupported);
  expect_error(forge(key, R"({"alg":"ES256K","typ":"JWT"})", payload), Errc::kUnsupported);
  expect_error(forge(key, R"({"alg":"EdDSA","typ":"JWS"})", payload), Errc::kUnsupported);
}

TEST(Jwt, GarbageIsMalformed) {
  for (const std::string& bad :
       std::vector<std::string>{"", "garbage", "a.b", "a.b.c.d", "!!!.e30.AA", b64url("not json") + ".e30.AA",
                                b64url("[1]") + ".e30.AA", b64url(R"({"typ":"JWT"})") + ".e30.AA"}) {
    expect_error(bad, Errc::kMalformed);
  }
}

TEST(Jwt, MissingOrMistypedClaimIsMalformed) {
  const auto key = test_key();
  const std::string iss = did_key_from_ed25519(key.public_key());
  const std::string header = R"({"alg":"EdDSA","typ":"JWT"})";
  for (const std::string& payload : std::vector<std::string>{
           R"({"sub":"s","aud":"a","iat":1,"exp":2})",                           // no iss
           R"({"iss":")" + iss + R"(","aud":"a","iat":1,"exp":2})",              // no sub
           R"({"iss":")" + iss + R"(","sub":"s","iat":1,"exp":2})",              // no aud
           R"({"iss":")" + iss + R"(","sub":"s","aud":"a","exp":2})",            // no iat
           R"({"iss":")" + iss + R"(","sub":"s","aud":"a","iat":1})",            // no exp
           R"({"iss":")" + iss + R"(","sub":5,"aud":"a","iat":1,"exp":2})",      // sub not a string
           R"({"iss":")" + iss + R"(","sub":"s","aud":"a","iat":"1","exp":2})",  // iat a string
           R"({"iss":")" + iss + R"(","sub":"s","aud":"a","iat":1,"exp":2.5})",  // exp not an integer
           R"({"iss":")" + iss + R"(","sub":"s","aud":"a","iat":1,"exp":18446744073709551615})",
           R"({"iss":"did:web:x","sub":"s","aud":"a","iat":1,"exp":2})"}) {  // iss not a did:key
    expect_error(forge(key, header, payload), Errc::kMalformed);
  }
}

TEST(Jwt, SignatureOfWrongLengthIsMalformed) {
  const Parts parts = split(sign_relay_auth_jwt(test_key(), "s", "a", kIat, 1));
  expect_error(parts.header + "." + parts.payload + "." + parts.signature.substr(4), Errc::kMalformed);
}

TEST(Jwt, OverLimitIsTooLarge) {
  const auto key = test_key();
  const std::string token = sign_relay_auth_jwt(key, std::string(4000, 'a'), "wss://relay", kIat, 60);
  ASSERT_GT(token.size(), kMaxJwtLength);
  expect_error(token, Errc::kTooLarge);
}

}  // namespace
}  // namespace keylink::crypto
