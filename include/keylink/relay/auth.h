// Who a connecting client is: the did:key EdDSA JWT that WalletConnect clients send, checked as a relay
// must check it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "keylink/base/result.h"

namespace keylink::relay {

// The token of an upgrade request: the `auth` query parameter, else an `Authorization: Bearer` header.
// Returns an empty string when there is neither.
std::string auth_token(std::string_view target, std::string_view authorization_header);

// The value of a query parameter of a request target ("/?a=1&b=2"), percent-decoded; empty when absent.
std::string query_param(std::string_view target, std::string_view name);

// Checks the signature, that exp is after now, that iat is at most a minute ahead of now, that exp is
// at most a day after iat, and that aud is one of the relay's public URLs. Returns the client id (the token's iss, a
// did:key) or an error whose message says what is wrong, for the close reason.
Result<std::string> authenticate(std::string_view token, const std::vector<std::string>& audiences,
                                 std::int64_t now_seconds);

}  // namespace keylink::relay
