// Who signed an XMTP key: a pre-key is signed by its identity key (ECDSA over sha256(key_bytes)), an
// identity key by a wallet (EIP-191 personal_sign over create_identity_text(key_bytes)).
#pragma once

#include "keylink/base/result.h"
#include "keylink/crypto/ethereum.h"
#include "keylink/wire/xmtp/content.h"
#include "keylink/wire/xmtp/keys.h"

namespace keylink::wire::xmtp {

// Fails with crypto::Errc::kBadSignature when the pre-key's signature is not an ecdsa_compact signature
// by the bundle's identity key over sha256(pre_key.key_bytes).
Result<void> verify_pre_key(const SignedPublicKeyBundle& bundle);

// The wallet that signed this identity key. Fails with kBadSignature when the signature is not a
// wallet signature or recovers no key.
Result<crypto::EthAddress> wallet_address(const SignedPublicKey& identity_key);

// A V2 message's content: its sender bundle's pre-key is signed by the bundle's identity key, and the
// content is signed by that pre-key over sha256(header_bytes ‖ payload). Fails with kBadSignature.
// It does not say which wallet sent it: wallet_address(content.sender.identity_key) does.
Result<void> verify_signed_content(const SignedContent& content, ByteView header_bytes);
// The content's signature alone, by content.sender's pre-key: for a reader that checked that bundle
// (verify_pre_key) already, for an earlier message of the same sender.
Result<void> verify_content_signature(const SignedContent& content, ByteView header_bytes);

}  // namespace keylink::wire::xmtp
