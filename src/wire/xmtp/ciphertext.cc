#include "keylink/wire/xmtp/ciphertext.h"

#include <algorithm>

#include "convert.h"

namespace keylink::wire::xmtp {

Result<Ciphertext> from_proto(const pb::Ciphertext& proto) {
  if (!proto.has_aes256_gcm_hkdf_sha256()) return missing("Ciphertext.aes256_gcm_hkdf_sha256");
  const auto& aes = proto.aes256_gcm_hkdf_sha256();
  Ciphertext out;
  if (aes.hkdf_salt().size() != out.hkdf_salt.size()) {
    return bad_field("Ciphertext.hkdf_salt", "expected 32 bytes, got " + std::to_string(aes.hkdf_salt().size()));
  }
  if (aes.gcm_nonce().size() != out.gcm_nonce.size()) {
    return bad_field("Ciphertext.gcm_nonce", "expected 12 bytes, got " + std::to_string(aes.gcm_nonce().size()));
  }
  if (aes.payload().size() < crypto::xmtp::kGcmTagSize) {
    return bad_field("Ciphertext.payload", "shorter than the 16-byte GCM tag");
  }
  std::copy(aes.hkdf_salt().begin(), aes.hkdf_salt().end(), out.hkdf_salt.begin());
  std::copy(aes.gcm_nonce().begin(), aes.gcm_nonce().end(), out.gcm_nonce.begin());
  out.payload = to_bytes(aes.payload());
  return out;
}

void to_proto(const Ciphertext& value, pb::Ciphertext& proto) {
  auto* aes = proto.mutable_aes256_gcm_hkdf_sha256();
  aes->set_hkdf_salt(to_field(value.hkdf_salt));
  aes->set_gcm_nonce(to_field(value.gcm_nonce));
  aes->set_payload(to_field(value.payload));
}

Result<Ciphertext> decode_ciphertext(ByteView bytes) {
  auto proto = parse_message<pb::Ciphertext>(bytes, "Ciphertext", kMaxCiphertextSize);
  if (!proto) return fail(proto.error());
  return from_proto(*proto);
}

Bytes encode(const Ciphertext& ciphertext) {
  pb::Ciphertext proto;
  to_proto(ciphertext, proto);
  return serialize_message(proto);
}

}  // namespace keylink::wire::xmtp
