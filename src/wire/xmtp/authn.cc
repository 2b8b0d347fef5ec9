#include "keylink/wire/xmtp/authn.h"

#include "convert.h"
#include "keylink/crypto/errors.h"
#include "keylink/crypto/hash.h"
#include "keylink/crypto/secp256k1.h"
#include "xmtp/message_api/v1/authn.pb.h"

namespace keylink::wire::xmtp {
namespace {

namespace apb = ::xmtp::message_api::v1;

}  // namespace

Result<AuthData> decode_auth_data(ByteView bytes) {
  auto proto = parse_message<apb::AuthData>(bytes, "AuthData", kMaxKeyMessageSize);
  if (!proto) return fail(proto.error());
  return AuthData{proto->wallet_addr(), proto->created_ns()};
}

Result<AuthToken> decode_auth_token(ByteView bytes) {
  auto proto = parse_message<apb::Token>(bytes, "Token", kMaxKeyMessageSize);
  if (!proto) return fail(proto.error());
  if (!proto->has_identity_key()) return missing("Token.identity_key");
  if (!proto->has_auth_data_signature()) return missing("Token.auth_data_signature");
  auto identity_key = from_proto(proto->identity_key());
  if (!identity_key) return fail(context("Token.identity_key", identity_key.error()));
  auto auth_data = decode_auth_data(as_bytes(proto->auth_data_bytes()));
  if (!auth_data) return fail(context("Token.auth_data_bytes", auth_data.error()));
  auto signature = from_proto(proto->auth_data_signature());
  if (!signature) return fail(context("Token.auth_data_signature", signature.error()));
  return AuthToken{std::move(*identity_key), to_bytes(proto->auth_data_bytes()), std::move(*auth_data), *signature};
}

Bytes encode(const AuthData& data) {
  apb::AuthData proto;
  proto.set_wallet_addr(data.wallet_addr);
  proto.set_created_ns(data.created_ns);
  return serialize_message(proto);
}

Bytes encode(const AuthToken& token) {
  apb::Token proto;
  to_proto(token.identity_key, *proto.mutable_identity_key());
  proto.set_auth_data_bytes(to_field(token.auth_data_bytes));
  to_proto(token.auth_data_signature, *proto.mutable_auth_data_signature());
  return serialize_message(proto);
}

Result<void> verify_auth_token_signature(const AuthToken& token) {
  if (token.auth_data_signature.kind != SignatureKind::kEcdsaCompact) {
    return fail(crypto::Errc::kBadSignature, "Token.auth_data_signature: not an XMTP key signature");
  }
  // xmtp-js LocalAuthenticator.createToken: keccak256 of the AuthData bytes, by the identity key.
  auto checked = crypto::secp256k1_verify(token.identity_key.key, crypto::keccak256(token.auth_data_bytes),
                                          token.auth_data_signature.value.compact);
  if (!checked) return fail(context("Token.auth_data_signature by the identity key", checked.error()));
  return {};
}

}  // namespace keylink::wire::xmtp
