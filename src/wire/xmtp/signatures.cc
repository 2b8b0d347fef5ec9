#include "keylink/wire/xmtp/signatures.h"

#include "keylink/crypto/errors.h"
#include "keylink/crypto/hash.h"
#include "keylink/crypto/xmtp/conversation_keys.h"

namespace keylink::wire::xmtp {

Result<void> verify_pre_key(const SignedPublicKeyBundle& bundle) {
  const auto& signature = bundle.pre_key.signature;
  if (signature.kind != SignatureKind::kEcdsaCompact) {
    return fail(crypto::Errc::kBadSignature, "pre-key: not signed by an identity key");
  }
  // xmtp-js SignedPublicKey.verifyKey: ECDSA over sha256 of the signed key bytes.
  auto checked = crypto::secp256k1_verify(bundle.identity_key.key.key, crypto::sha256(bundle.pre_key.key_bytes),
                                          signature.value.compact);
  if (!checked) return fail(context("pre-key signature by the identity key", checked.error()));
  return {};
}

Result<crypto::EthAddress> wallet_address(const SignedPublicKey& identity_key) {
  if (identity_key.signature.kind != SignatureKind::kWalletEcdsaCompact) {
    return fail(crypto::Errc::kBadSignature, "identity key: not signed by a wallet");
  }
  const std::string text = crypto::xmtp::create_identity_text(identity_key.key_bytes);
  crypto::EthSignature signature{};
  std::copy(identity_key.signature.value.compact.begin(), identity_key.signature.value.compact.end(),
            signature.begin());
  signature[64] = identity_key.signature.value.recovery_id;
  return crypto::personal_sign_recover(as_bytes(text), signature);
}

Result<void> verify_signed_content(const SignedContent& content, ByteView header_bytes) {
  if (auto checked = verify_pre_key(content.sender); !checked) return checked;
  return verify_content_signature(content, header_bytes);
}

Result<void> verify_content_signature(const SignedContent& content, ByteView header_bytes) {
  if (content.signature.kind != SignatureKind::kEcdsaCompact) {
    return fail(crypto::Errc::kBadSignature, "SignedContent.signature: not an XMTP key signature");
  }
  // xmtp-js ConversationV2.decodeMessage: digest = sha256(headerBytes ‖ payload), by the pre-key.
  auto checked =
      crypto::secp256k1_verify(content.sender.pre_key.key.key, crypto::sha256(concat(header_bytes, content.payload)),
                               content.signature.value.compact);
  if (!checked) return fail(context("SignedContent.signature by the sender's pre-key", checked.error()));
  return {};
}

}  // namespace keylink::wire::xmtp
