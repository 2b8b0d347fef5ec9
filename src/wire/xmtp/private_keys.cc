#include "keylink/wire/xmtp/private_keys.h"

#include <algorithm>

#include "convert.h"
#include "keylink/crypto/errors.h"
#include "keylink/crypto/hash.h"
#include "keylink/wire/xmtp/signatures.h"
#include "xmtp/message_contents/private_key.pb.h"

namespace keylink::wire::xmtp {
namespace {

Result<crypto::Secp256k1PrivateKey> secret_from(const std::string& bytes, const crypto::Secp256k1PublicKey& expected,
                                                std::string_view field) {
  if (bytes.size() != 32) return bad_field(field, "expected 32 bytes");
  auto key = crypto::Secp256k1PrivateKey::from_bytes(Secret<32>(as_bytes(bytes)));
  if (!key) return bad_field(field, "not a valid secp256k1 private key");
  if (key->public_key() != expected) return bad_field(field, "does not match its public key");
  return std::move(*key);
}

Result<SignedPrivateKey> from_proto(const pb::SignedPrivateKey& proto) {
  if (!proto.has_secp256k1()) return missing("SignedPrivateKey.secp256k1");
  if (!proto.has_public_key()) return missing("SignedPrivateKey.public_key");
  auto public_key = xmtp::from_proto(proto.public_key());
  if (!public_key) return fail(context("SignedPrivateKey.public_key", public_key.error()));
  auto secret = secret_from(proto.secp256k1().bytes(), public_key->key.key, "SignedPrivateKey.secp256k1.bytes");
  if (!secret) return fail(secret.error());
  return SignedPrivateKey{proto.created_ns(), std::move(*secret), std::move(*public_key)};
}

Result<PrivateKey> from_proto(const pb::PrivateKey& proto) {
  if (!proto.has_secp256k1()) return missing("PrivateKey.secp256k1");
  if (!proto.has_public_key()) return missing("PrivateKey.public_key");
  auto public_key = xmtp::from_proto(proto.public_key());
  if (!public_key) return fail(context("PrivateKey.public_key", public_key.error()));
  auto secret = secret_from(proto.secp256k1().bytes(), public_key->key, "PrivateKey.secp256k1.bytes");
  if (!secret) return fail(secret.error());
  return PrivateKey{proto.timestamp(), std::move(*secret), std::move(*public_key)};
}

template <class Out, class Proto>
Result<Out> bundle_from(const Proto& proto, std::string_view name) {
  if (!proto.has_identity_key()) return missing(std::string(name) + ".identity_key");
  if (proto.pre_keys().empty()) return missing(std::string(name) + ".pre_keys");
  auto identity = from_proto(proto.identity_key());
  if (!identity) return fail(context(std::string(name) + ".identity_key", identity.error()));
  Out out{std::move(*identity), {}};
  for (const auto& pre_key_proto : proto.pre_keys()) {
    auto pre_key = from_proto(pre_key_proto);
    if (!pre_key) return fail(context(std::string(name) + ".pre_keys", pre_key.error()));
    out.pre_keys.push_back(std::move(*pre_key));
  }
  return out;
}

void to_proto(const SignedPrivateKey& value, pb::SignedPrivateKey& proto) {
  proto.set_created_ns(value.created_ns);
  proto.mutable_secp256k1()->set_bytes(to_field(value.secret.secret().expose()));
  xmtp::to_proto(value.public_key, *proto.mutable_public_key());
}

void to_proto(const PrivateKey& value, pb::PrivateKey& proto) {
  proto.set_timestamp(value.timestamp);
  proto.mutable_secp256k1()->set_bytes(to_field(value.secret.secret().expose()));
  xmtp::to_proto(value.public_key, *proto.mutable_public_key());
}

// xmtp-js UnsignedPublicKey.verifyKey over a legacy PublicKey: sha256 of its bytesToSign().
Result<void> verify_legacy_pre_key(const PublicKeyBundle& bundle) {
  if (!bundle.pre_key.signature) return fail(crypto::Errc::kBadSignature, "pre-key: not signed");
  const Bytes signed_bytes = encode(PublicKey{bundle.pre_key.timestamp, std::nullopt, bundle.pre_key.key});
  auto checked = crypto::secp256k1_verify(bundle.identity_key.key, crypto::sha256(signed_bytes),
                                          bundle.pre_key.signature->value.compact);
  if (!checked) return fail(context("pre-key signature by the identity key", checked.error()));
  return {};
}

template <class Key>
const Key* find_pre_key(const std::vector<Key>& pre_keys, const crypto::Secp256k1PublicKey& which) {
  const auto found =
      std::find_if(pre_keys.begin(), pre_keys.end(), [&](const Key& key) { return key.secret.public_key() == which; });
  return found == pre_keys.end() ? nullptr : &*found;
}

tl::unexpected<Error> no_matching_pre_key() {
  return fail(Errc::kMalformed, "3DH: no pre-key of this bundle matches the one the peer used");
}

}  // namespace

Result<PrivateKeyBundle> decode_private_key_bundle(ByteView bytes) {
  auto proto = parse_message<pb::PrivateKeyBundle>(bytes, "PrivateKeyBundle", kMaxPrivateKeyBundleSize);
  if (!proto) return fail(proto.error());
  if (proto->has_v2()) {
    auto v2 = bundle_from<PrivateKeyBundleV2>(proto->v2(), "PrivateKeyBundleV2");
    if (!v2) return fail(v2.error());
    return PrivateKeyBundle(std::move(*v2));
  }
  if (proto->has_v1()) {
    auto v1 = bundle_from<PrivateKeyBundleV1>(proto->v1(), "PrivateKeyBundleV1");
    if (!v1) return fail(v1.error());
    return PrivateKeyBundle(std::move(*v1));
  }
  return missing("PrivateKeyBundle.version");
}

Bytes encode(const PrivateKeyBundleV1& bundle) {
  pb::PrivateKeyBundle proto;
  auto* v1 = proto.mutable_v1();
  to_proto(bundle.identity_key, *v1->mutable_identity_key());
  for (const auto& pre_key : bundle.pre_keys) to_proto(pre_key, *v1->add_pre_keys());
  return serialize_message(proto);
}

Bytes encode(const PrivateKeyBundleV2& bundle) {
  pb::PrivateKeyBundle proto;
  auto* v2 = proto.mutable_v2();
  to_proto(bundle.identity_key, *v2->mutable_identity_key());
  for (const auto& pre_key : bundle.pre_keys) to_proto(pre_key, *v2->add_pre_keys());
  return serialize_message(proto);
}

SignedPublicKeyBundle public_bundle(const PrivateKeyBundleV2& bundle) {
  KEYLINK_CHECK(!bundle.pre_keys.empty());
  return SignedPublicKeyBundle{bundle.identity_key.public_key, bundle.pre_keys.front().public_key};
}

Result<crypto::xmtp::ThreeDhSecret> shared_secret(const PrivateKeyBundleV2& mine,
                                                  const crypto::Secp256k1PublicKey& my_pre_key,
                                                  const SignedPublicKeyBundle& peer, bool is_recipient) {
  if (auto checked = verify_pre_key(peer); !checked) return fail(checked.error());
  const auto* pre_key = find_pre_key(mine.pre_keys, my_pre_key);
  if (pre_key == nullptr) return no_matching_pre_key();
  return crypto::xmtp::three_dh({mine.identity_key.secret, pre_key->secret},
                                {peer.identity_key.key.key, peer.pre_key.key.key}, is_recipient);
}

PublicKeyBundle public_bundle(const PrivateKeyBundleV1& bundle) {
  KEYLINK_CHECK(!bundle.pre_keys.empty());
  return PublicKeyBundle{bundle.identity_key.public_key, bundle.pre_keys.front().public_key};
}

Result<crypto::xmtp::ThreeDhSecret> shared_secret(const PrivateKeyBundleV1& mine,
                                                  const crypto::Secp256k1PublicKey& my_pre_key,
                                                  const PublicKeyBundle& peer, bool is_recipient) {
  if (auto checked = verify_legacy_pre_key(peer); !checked) return fail(checked.error());
  const auto* pre_key = find_pre_key(mine.pre_keys, my_pre_key);
  if (pre_key == nullptr) return no_matching_pre_key();
  return crypto::xmtp::three_dh({mine.identity_key.secret, pre_key->secret}, {peer.identity_key.key, peer.pre_key.key},
                                is_recipient);
}

}  // namespace keylink::wire::xmtp
