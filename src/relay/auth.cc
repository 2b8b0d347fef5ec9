#include "keylink/relay/auth.h"

#include <algorithm>

#include "keylink/base/encoding.h"
#include "keylink/crypto/errors.h"
#include "keylink/crypto/jwt.h"

namespace keylink::relay {
namespace {

constexpr std::int64_t kMaxClockSkewSeconds = 60;
// What @walletconnect/core signs (CRYPTO_JWT_TTL, a day): a token that lives longer is one a thief could
// use for longer.
constexpr std::int64_t kMaxTokenLifetimeSeconds = 86400;

std::string percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      if (auto byte = from_hex(text.substr(i + 1, 2))) {
        out.push_back(static_cast<char>((*byte)[0]));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i] == '+' ? ' ' : text[i]);
  }
  return out;
}

}  // namespace

std::string query_param(std::string_view target, std::string_view name) {
  const std::size_t question = target.find('?');
  if (question == std::string_view::npos) return {};
  std::string_view query = target.substr(question + 1);
  while (!query.empty()) {
    const std::string_view pair = query.substr(0, query.find('&'));
    query.remove_prefix(std::min(query.size(), pair.size() + 1));
    const std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name && eq != std::string_view::npos) return percent_decode(pair.substr(eq + 1));
  }
  return {};
}

std::string auth_token(std::string_view target, std::string_view authorization_header) {
  std::string token = query_param(target, "auth");
  constexpr std::string_view kBearer = "Bearer ";
  if (token.empty() && authorization_header.starts_with(kBearer)) token = authorization_header.substr(kBearer.size());
  return token;
}

Result<std::string> authenticate(std::string_view token, const std::vector<std::string>& audiences,
                                 std::int64_t now_seconds) {
  if (token.empty()) {
    return fail(crypto::Errc::kMalformed, "no auth token: send a relay-auth JWT as ?auth= or Authorization: Bearer");
  }
  auto claims = crypto::verify_relay_auth_jwt(token);
  if (!claims) return fail(context("auth token", claims.error()));
  if (claims->exp <= now_seconds) return fail(crypto::Errc::kMalformed, "auth token expired; sign a new one");
  if (claims->iat > now_seconds + kMaxClockSkewSeconds) {
    return fail(crypto::Errc::kMalformed, "auth token issued in the future; check the client's clock");
  }
  // exp > now and iat <= now + 60 here, so neither side can overflow.
  if (claims->exp - kMaxTokenLifetimeSeconds > claims->iat) {
    return fail(crypto::Errc::kMalformed,
                "auth token valid for more than a day (exp - iat over 86400 s); sign one that lives at most a day");
  }
  if (std::find(audiences.begin(), audiences.end(), claims->aud) == audiences.end()) {
    return fail(crypto::Errc::kMalformed, "auth token is for another relay (aud " + claims->aud + ")");
  }
  return std::move(claims->iss);
}

}  // namespace keylink::relay
