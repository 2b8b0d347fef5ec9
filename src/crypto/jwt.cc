#include "keylink/crypto/jwt.h"

#include <nlohmann/json.hpp>

#include <limits>
#include <string>

#include "keylink/base/encoding.h"
#include "keylink/crypto/did_key.h"
#include "keylink/crypto/errors.h"

namespace keylink::crypto {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

// The exact header relay-auth sends; its bytes are signed, so the member order matters.
constexpr std::string_view kHeader = R"({"alg":"EdDSA","typ":"JWT"})";

struct TokenParts {
  std::string_view header;
  std::string_view payload;
  std::string_view signature;
};

tl::unexpected<Error> malformed(std::string message) { return fail(Errc::kMalformed, "JWT: " + std::move(message)); }

Result<TokenParts> split(std::string_view token) {
  const size_t first = token.find('.');
  const size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return malformed("expected three dot-separated parts (header.payload.signature)");
  }
  return TokenParts{token.substr(0, first), token.substr(first + 1, second - first - 1), token.substr(second + 1)};
}

// A base64url (unpadded) part holding a JSON object.
Result<json> decode_object(std::string_view part, std::string_view name) {
  auto bytes = from_base64(part, Base64::kUrlUnpadded);
  if (!bytes) return malformed(std::string(name) + " is not unpadded base64url");
  json value = json::parse(bytes->begin(), bytes->end(), nullptr, /*allow_exceptions=*/false);
  if (!value.is_object()) return malformed(std::string(name) + " is not a JSON object");
  return value;
}

Result<void> check_header(const json& header) {
  const auto alg = header.find("alg");
  const auto typ = header.find("typ");
  if (alg == header.end() || !alg->is_string()) return malformed("header has no string \"alg\"");
  if (*alg != "EdDSA") {
    return fail(Errc::kUnsupported, "JWT alg \"" + alg->get<std::string>() + "\" is not accepted; only EdDSA is");
  }
  if (typ == header.end() || !typ->is_string()) return malformed("header has no string \"typ\"");
  if (*typ != "JWT") return fail(Errc::kUnsupported, "JWT typ \"" + typ->get<std::string>() + "\" is not accepted");
  return {};
}

Result<std::string> string_claim(const json& payload, const char* name) {
  const auto it = payload.find(name);
  if (it == payload.end() || !it->is_string()) {
    return malformed(std::string("payload claim \"") + name + "\" is missing or not a string");
  }
  return it->get<std::string>();
}

Result<std::int64_t> time_claim(const json& payload, const char* name) {
  const auto it = payload.find(name);
  const bool fits = it != payload.end() && it->is_number_integer() &&
                    (!it->is_number_unsigned() ||
                     it->get<std::uint64_t>() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()));
  if (!fits) return malformed(std::string("payload claim \"") + name + "\" is missing or not an integer");
  return it->get<std::int64_t>();
}

Result<RelayAuthClaims> parse_claims(const json& payload) {
  RelayAuthClaims claims;
  for (auto [field, name] : {std::pair{&claims.iss, "iss"}, {&claims.sub, "sub"}, {&claims.aud, "aud"}}) {
    auto value = string_claim(payload, name);
    if (!value) return fail(value.error());
    *field = std::move(*value);
  }
  for (auto [field, name] : {std::pair{&claims.iat, "iat"}, {&claims.exp, "exp"}}) {
    auto value = time_claim(payload, name);
    if (!value) return fail(value.error());
    *field = *value;
  }
  return claims;
}

Result<Ed25519Signature> decode_signature(std::string_view part) {
  auto bytes = from_base64(part, Base64::kUrlUnpadded);
  Ed25519Signature signature{};
  if (!bytes || bytes->size() != signature.size()) return malformed("signature is not 64 bytes of base64url");
  std::copy(bytes->begin(), bytes->end(), signature.begin());
  return signature;
}

Result<RelayAuthClaims> verify_parts(const TokenParts& parts, std::string_view signed_part) {
  auto header = decode_object(parts.header, "header");
  if (!header) return fail(header.error());
  if (auto checked = check_header(*header); !checked) return fail(checked.error());
  auto payload = decode_object(parts.payload, "payload");
  if (!payload) return fail(payload.error());
  auto claims = parse_claims(*payload);
  if (!claims) return fail(claims.error());
  auto issuer = ed25519_from_did_key(claims->iss);
  if (!issuer) return fail(context("JWT iss", issuer.error()));
  auto signature = decode_signature(parts.signature);
  if (!signature) return fail(signature.error());
  if (!ed25519_verify(*issuer, as_bytes(signed_part), *signature)) {
    return fail(Errc::kBadSignature, "JWT signature does not verify with the issuer's key");
  }
  return claims;
}

}  // namespace

std::string sign_relay_auth_jwt(const Ed25519KeyPair& key, std::string_view sub, std::string_view aud, std::int64_t iat,
                                std::int64_t ttl_seconds) {
  // relay-auth: iss, sub, aud, iat, exp in this order, compact JSON.
  ordered_json payload;
  payload["iss"] = did_key_from_ed25519(key.public_key());
  payload["sub"] = sub;
  payload["aud"] = aud;
  payload["iat"] = iat;
  payload["exp"] = iat + ttl_seconds;
  // Replace rather than throw on invalid UTF-8 in a caller's sub or aud.
  const std::string payload_text = payload.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
  std::string token = to_base64(as_bytes(kHeader), Base64::kUrlUnpadded) + "." +
                      to_base64(as_bytes(payload_text), Base64::kUrlUnpadded);
  const Ed25519Signature signature = key.sign(as_bytes(token));
  return token + "." + to_base64(signature, Base64::kUrlUnpadded);
}

Result<RelayAuthClaims> verify_relay_auth_jwt(std::string_view token) {
  if (token.size() > kMaxJwtLength) {
    return fail(Errc::kTooLarge, "JWT longer than " + std::to_string(kMaxJwtLength) + " bytes");
  }
  auto parts = split(token);
  if (!parts) return fail(parts.error());
  const std::string_view signed_part = token.substr(0, parts->header.size() + 1 + parts->payload.size());
  try {
    return verify_parts(*parts, signed_part);
  } catch (const json::exception& e) {  // not expected: every access is type-checked first
    return malformed(std::string("unexpected JSON error: ") + e.what());
  }
}

}  // namespace keylink::crypto
