// xmtp's auth token (message_api/v1/authn.proto): Token{identity_key, auth_data_bytes,
// auth_data_signature} over AuthData{wallet_addr, created_ns}. xmtp-js LocalAuthenticator signs
// keccak256(auth_data_bytes) with the identity key (ecdsa_compact); the identity key is the legacy
// PublicKey, with the wallet's signature. decode keeps the signed bytes exactly as received.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "keylink/base/bytes.h"
#include "keylink/base/result.h"
#include "keylink/wire/xmtp/keys.h"

namespace keylink::wire::xmtp {

struct AuthData {
  std::string wallet_addr;  // EIP-55
  std::uint64_t created_ns = 0;
};

struct AuthToken {
  PublicKey identity_key;
  Bytes auth_data_bytes;  // the encoded AuthData, exactly as signed
  AuthData auth_data;     // auth_data_bytes, decoded
  Signature auth_data_signature;
};

Result<AuthData> decode_auth_data(ByteView bytes);
Result<AuthToken> decode_auth_token(ByteView bytes);
Bytes encode(const AuthData& data);
// REQUIRES: token.auth_data_bytes is set (encode(token.auth_data) for a new token).
Bytes encode(const AuthToken& token);

// Fails with crypto::Errc::kBadSignature when auth_data_signature is not an ecdsa_compact signature by
// identity_key over keccak256(auth_data_bytes). It does not say which wallet the key belongs to.
Result<void> verify_auth_token_signature(const AuthToken& token);

}  // namespace keylink::wire::xmtp
