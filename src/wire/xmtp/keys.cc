#include "keylink/wire/xmtp/keys.h"

#include <algorithm>

#include "convert.h"

namespace keylink::wire::xmtp {
namespace {

Result<crypto::RecoverableSignature> compact_from(const std::string& bytes, std::uint32_t recovery,
                                                  std::string_view field) {
  if (bytes.size() != 64) {
    return bad_field(std::string(field) + ".bytes", "expected 64 bytes (r ‖ s), got " + std::to_string(bytes.size()));
  }
  if (recovery > 3) return bad_field(std::string(field) + ".recovery", "not 0..3");
  crypto::RecoverableSignature out;
  std::copy(bytes.begin(), bytes.end(), out.compact.begin());
  out.recovery_id = static_cast<std::uint8_t>(recovery);
  return out;
}

Result<crypto::Secp256k1PublicKey> point_from(const std::string& bytes, std::string_view field) {
  if (bytes.size() != 65 || bytes[0] != 0x04) {
    return bad_field(field, "not a 65-byte uncompressed secp256k1 key");
  }
  auto key = crypto::secp256k1_parse_public_key(as_bytes(bytes));
  if (!key) return bad_field(field, "not a point on secp256k1");
  return *key;
}

Result<UnsignedPublicKey> from_proto(const pb::UnsignedPublicKey& proto) {
  if (!proto.has_secp256k1_uncompressed()) return missing("UnsignedPublicKey.secp256k1_uncompressed");
  auto key = point_from(proto.secp256k1_uncompressed().bytes(), "UnsignedPublicKey.secp256k1_uncompressed.bytes");
  if (!key) return fail(key.error());
  return UnsignedPublicKey{proto.created_ns(), *key};
}

}  // namespace

Result<Signature> from_proto(const pb::Signature& proto) {
  if (proto.has_ecdsa_compact()) {
    auto value =
        compact_from(proto.ecdsa_compact().bytes(), proto.ecdsa_compact().recovery(), "Signature.ecdsa_compact");
    if (!value) return fail(value.error());
    return Signature{SignatureKind::kEcdsaCompact, *value};
  }
  if (proto.has_wallet_ecdsa_compact()) {
    auto value = compact_from(proto.wallet_ecdsa_compact().bytes(), proto.wallet_ecdsa_compact().recovery(),
                              "Signature.wallet_ecdsa_compact");
    if (!value) return fail(value.error());
    return Signature{SignatureKind::kWalletEcdsaCompact, *value};
  }
  return missing("Signature.union");
}

Result<SignedPublicKey> from_proto(const pb::SignedPublicKey& proto) {
  if (proto.key_bytes().empty()) return missing("SignedPublicKey.key_bytes");
  if (!proto.has_signature()) return missing("SignedPublicKey.signature");
  auto key = decode_unsigned_public_key(as_bytes(proto.key_bytes()));
  if (!key) return fail(context("SignedPublicKey.key_bytes", key.error()));
  auto signature = from_proto(proto.signature());
  if (!signature) return fail(context("SignedPublicKey.signature", signature.error()));
  return SignedPublicKey{to_bytes(proto.key_bytes()), *key, *signature};
}

Result<SignedPublicKeyBundle> from_proto(const pb::SignedPublicKeyBundle& proto) {
  if (!proto.has_identity_key()) return missing("SignedPublicKeyBundle.identity_key");
  if (!proto.has_pre_key()) return missing("SignedPublicKeyBundle.pre_key");
  auto identity = from_proto(proto.identity_key());
  if (!identity) return fail(context("SignedPublicKeyBundle.identity_key", identity.error()));
  auto pre_key = from_proto(proto.pre_key());
  if (!pre_key) return fail(context("SignedPublicKeyBundle.pre_key", pre_key.error()));
  return SignedPublicKeyBundle{std::move(*identity), std::move(*pre_key)};
}

Result<PublicKey> from_proto(const pb::PublicKey& proto) {
  if (!proto.has_secp256k1_uncompressed()) return missing("PublicKey.secp256k1_uncompressed");
  auto key = point_from(proto.secp256k1_uncompressed().bytes(), "PublicKey.secp256k1_uncompressed.bytes");
  if (!key) return fail(key.error());
  PublicKey out{proto.timestamp(), std::nullopt, *key};
  if (proto.has_signature()) {
    auto signature = from_proto(proto.signature());
    if (!signature) return fail(context("PublicKey.signature", signature.error()));
    out.signature = *signature;
  }
  return out;
}

Result<PublicKeyBundle> from_proto(const pb::PublicKeyBundle& proto) {
  if (!proto.has_identity_key()) return missing("PublicKeyBundle.identity_key");
  if (!proto.has_pre_key()) return missing("PublicKeyBundle.pre_key");
  auto identity = from_proto(proto.identity_key());
  if (!identity) return fail(context("PublicKeyBundle.identity_key", identity.error()));
  auto pre_key = from_proto(proto.pre_key());
  if (!pre_key) return fail(context("PublicKeyBundle.pre_key", pre_key.error()));
  return PublicKeyBundle{*identity, *pre_key};
}

void to_proto(const Signature& value, pb::Signature& proto) {
  const std::string bytes = to_field(value.value.compact);
  if (value.kind == SignatureKind::kEcdsaCompact) {
    proto.mutable_ecdsa_compact()->set_bytes(bytes);
    proto.mutable_ecdsa_compact()->set_recovery(value.value.recovery_id);
  } else {
    proto.mutable_wallet_ecdsa_compact()->set_bytes(bytes);
    proto.mutable_wallet_ecdsa_compact()->set_recovery(value.value.recovery_id);
  }
}

void to_proto(const SignedPublicKey& value, pb::SignedPublicKey& proto) {
  proto.set_key_bytes(to_field(value.key_bytes));
  to_proto(value.signature, *proto.mutable_signature());
}

void to_proto(const SignedPublicKeyBundle& value, pb::SignedPublicKeyBundle& proto) {
  to_proto(value.identity_key, *proto.mutable_identity_key());
  to_proto(value.pre_key, *proto.mutable_pre_key());
}

void to_proto(const PublicKey& value, pb::PublicKey& proto) {
  proto.set_timestamp(value.timestamp);
  if (value.signature) to_proto(*value.signature, *proto.mutable_signature());
  proto.mutable_secp256k1_uncompressed()->set_bytes(to_field(value.key));
}

void to_proto(const PublicKeyBundle& value, pb::PublicKeyBundle& proto) {
  to_proto(value.identity_key, *proto.mutable_identity_key());
  to_proto(value.pre_key, *proto.mutable_pre_key());
}

// One template for every decode_*: size limit, parse, validate.
template <class Proto>
auto decode_as(ByteView bytes, std::string_view name) -> decltype(from_proto(std::declval<const Proto&>())) {
  auto proto = parse_message<Proto>(bytes, name, kMaxKeyMessageSize);
  if (!proto) return fail(proto.error());
  return from_proto(*proto);
}

Result<Signature> decode_signature(ByteView bytes) { return decode_as<pb::Signature>(bytes, "Signature"); }
Result<UnsignedPublicKey> decode_unsigned_public_key(ByteView bytes) {
  return decode_as<pb::UnsignedPublicKey>(bytes, "UnsignedPublicKey");
}
Result<SignedPublicKey> decode_signed_public_key(ByteView bytes) {
  return decode_as<pb::SignedPublicKey>(bytes, "SignedPublicKey");
}
Result<SignedPublicKeyBundle> decode_signed_public_key_bundle(ByteView bytes) {
  return decode_as<pb::SignedPublicKeyBundle>(bytes, "SignedPublicKeyBundle");
}
Result<PublicKey> decode_public_key(ByteView bytes) { return decode_as<pb::PublicKey>(bytes, "PublicKey"); }
Result<PublicKeyBundle> decode_public_key_bundle(ByteView bytes) {
  return decode_as<pb::PublicKeyBundle>(bytes, "PublicKeyBundle");
}

template <class Proto, class Value>
Bytes encode_as(const Value& value) {
  Proto proto;
  to_proto(value, proto);
  return serialize_message(proto);
}

Bytes encode(const Signature& signature) { return encode_as<pb::Signature>(signature); }
Bytes encode(const UnsignedPublicKey& key) {
  pb::UnsignedPublicKey proto;
  proto.set_created_ns(key.created_ns);
  proto.mutable_secp256k1_uncompressed()->set_bytes(to_field(key.key));
  return serialize_message(proto);
}
Bytes encode(const SignedPublicKey& key) { return encode_as<pb::SignedPublicKey>(key); }
Bytes encode(const SignedPublicKeyBundle& bundle) { return encode_as<pb::SignedPublicKeyBundle>(bundle); }
Bytes encode(const PublicKey& key) { return encode_as<pb::PublicKey>(key); }
Bytes encode(const PublicKeyBundle& bundle) { return encode_as<pb::PublicKeyBundle>(bundle); }

SignedPublicKey make_signed_public_key(const UnsignedPublicKey& key, const Signature& signature) {
  return SignedPublicKey{encode(key), key, signature};
}

}  // namespace keylink::wire::xmtp
