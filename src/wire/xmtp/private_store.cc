#include "keylink/wire/xmtp/private_store.h"

#include <algorithm>
#include <string>

#include "convert.h"
#include "xmtp/message_contents/private_key.pb.h"

namespace keylink::wire::xmtp {
namespace {

Result<EncryptedPrivateKeyBundle> from_proto(const pb::EncryptedPrivateKeyBundleV1& proto) {
  EncryptedPrivateKeyBundle out;
  if (proto.wallet_pre_key().size() != out.wallet_pre_key.size()) {
    return bad_field("EncryptedPrivateKeyBundleV1.wallet_pre_key",
                     "expected 32 bytes, got " + std::to_string(proto.wallet_pre_key().size()));
  }
  if (!proto.has_ciphertext()) return missing("EncryptedPrivateKeyBundleV1.ciphertext");
  auto ciphertext = xmtp::from_proto(proto.ciphertext());
  if (!ciphertext) return fail(context("EncryptedPrivateKeyBundleV1.ciphertext", ciphertext.error()));
  std::copy(proto.wallet_pre_key().begin(), proto.wallet_pre_key().end(), out.wallet_pre_key.begin());
  out.ciphertext = std::move(*ciphertext);
  return out;
}

}  // namespace

Result<EncryptedPrivateKeyBundle> decode_encrypted_private_key_bundle(ByteView bytes) {
  auto wrapper = parse_message<pb::EncryptedPrivateKeyBundle>(bytes, "EncryptedPrivateKeyBundle",
                                                              kMaxEncryptedPrivateKeyBundleSize);
  if (wrapper) {
    if (!wrapper->has_v1()) return missing("EncryptedPrivateKeyBundle.version");
    return from_proto(wrapper->v1());
  }
  if (wrapper.error().code == make_error_code(Errc::kTooLarge)) return fail(wrapper.error());
  // xmtp-js getEncryptedBundle: bytes that are not the wrapper are read as a bare V1 (the first format).
  auto bare = parse_message<pb::EncryptedPrivateKeyBundleV1>(bytes, "EncryptedPrivateKeyBundleV1",
                                                             kMaxEncryptedPrivateKeyBundleSize);
  if (!bare) return fail(wrapper.error());
  return from_proto(*bare);
}

Bytes encode(const EncryptedPrivateKeyBundle& bundle) {
  pb::EncryptedPrivateKeyBundle proto;
  auto* v1 = proto.mutable_v1();
  v1->set_wallet_pre_key(to_field(bundle.wallet_pre_key));
  to_proto(bundle.ciphertext, *v1->mutable_ciphertext());
  return serialize_message(proto);
}

}  // namespace keylink::wire::xmtp
