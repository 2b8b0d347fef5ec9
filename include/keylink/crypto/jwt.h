// The relay auth token of WalletConnect (relay-auth): an EdDSA JWT whose issuer is a did:key.
//
// Header {"alg":"EdDSA","typ":"JWT"}, payload {iss, sub, aud, iat, exp} in that order, each part
// base64url without padding, signature Ed25519 over "header.payload".
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "keylink/base/result.h"
#include "keylink/crypto/ed25519.h"

namespace keylink::crypto {

struct RelayAuthClaims {
  std::string iss;  // did:key of the client
  std::string sub;  // random hex
  std::string aud;  // the relay URL the client was configured with
  std::int64_t iat = 0;  // unix seconds
  std::int64_t exp = 0;
};

// Signs a token with iss = did:key of the key pair and exp = iat + ttl_seconds.
std::string sign_relay_auth_jwt(const Ed25519KeyPair& key, std::string_view sub, std::string_view aud,
                                std::int64_t iat, std::int64_t ttl_seconds);

// Checks the form, the header and the signature by the issuer's key, and returns the claims. Times and
// audience are the caller's to check. Fails with kTooLarge over kMaxJwtLength, kMalformed for a token that
// does not parse, kUnsupported for another alg or typ, and kBadSignature.
inline constexpr std::size_t kMaxJwtLength = 4096;
Result<RelayAuthClaims> verify_relay_auth_jwt(std::string_view token);

}  // namespace keylink::crypto
