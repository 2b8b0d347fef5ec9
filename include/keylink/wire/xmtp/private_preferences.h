// XMTP private preferences: the consent records a client keeps for itself on its private preferences
// topic ("/xmtp/0/userpreferences-<identifier>/proto", identifier from crypto/xmtp/self_encryption.h).
// Each envelope there holds a PrivatePreferencesPayload{v1 = Ciphertext}, self-encrypted to the
// identity key, around one PrivatePreferencesAction (allow or deny a list of wallet addresses, group
// ids or inbox ids), as xmtp-js 13 Contacts and its keystore's selfEncrypt / selfDecrypt write them.
// Thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "keylink/base/bytes.h"
#include "keylink/base/result.h"
#include "keylink/base/rng.h"
#include "keylink/crypto/secp256k1.h"
#include "keylink/wire/xmtp/ciphertext.h"

namespace keylink::wire::xmtp {

inline constexpr std::size_t kMaxPrivatePreferencesSize = 1024 * 1024;

enum class PreferenceKind {  // the oneof of PrivatePreferencesAction, in field order
  kAllowAddress = 1,
  kDenyAddress,
  kAllowGroup,
  kDenyGroup,
  kAllowInboxId,
  kDenyInboxId,
};

struct PrivatePreferencesAction {
  PreferenceKind kind = PreferenceKind::kAllowAddress;
  // Wallet addresses ("0x" + 40 hex digits, as the client wrote them: xmtp-js writes EIP-55), group ids or
  // inbox ids (opaque strings), by kind. May be empty.
  std::vector<std::string> entries;
  friend bool operator==(const PrivatePreferencesAction&, const PrivatePreferencesAction&) = default;
};

// Fails with kMalformed when no action is set or an address is not "0x" + 40 hex digits, kTooLarge over
// kMaxPrivatePreferencesSize.
Result<PrivatePreferencesAction> decode_private_preferences_action(ByteView bytes);
Bytes encode(const PrivatePreferencesAction& action);

// PrivatePreferencesPayload{v1}: fails with kMalformed when it holds no ciphertext.
Result<Ciphertext> decode_private_preferences_payload(ByteView bytes);
Bytes encode_private_preferences_payload(const Ciphertext& ciphertext);

// The keystore's selfEncrypt: plaintext in, an encoded PrivatePreferencesPayload out.
Bytes seal_private_preferences(const crypto::Secp256k1PrivateKey& identity_key, ByteView plaintext, Rng& rng);
// The keystore's selfDecrypt. Fails as decode_private_preferences_payload does, then with
// crypto::Errc::kDecryptFailed when it was sealed by another identity or altered.
Result<Bytes> open_private_preferences(const crypto::Secp256k1PrivateKey& identity_key, ByteView payload);

}  // namespace keylink::wire::xmtp
