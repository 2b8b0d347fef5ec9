// The private-store backup of an XMTP identity, as xmtp-js NetworkKeyManager writes it to its
// private-store topic: message_contents.EncryptedPrivateKeyBundle{v1{wallet_pre_key = 1, ciphertext = 2}}.
// The ciphertext holds an encoded PrivateKeyBundle{v1}; how it is keyed is keylink/identity/private_store.h.
// decode also accepts a bare EncryptedPrivateKeyBundleV1 when the bytes are not the wrapper, as
// xmtp-js getEncryptedBundle does for bundles written before the wrapper existed.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "keylink/base/bytes.h"
#include "keylink/base/result.h"
#include "keylink/wire/xmtp/ciphertext.h"
#include "keylink/wire/xmtp/private_keys.h"

namespace keylink::wire::xmtp {

// The random bytes the wallet's "XMTP : Enable Identity" signature covers. xmtp-js always draws 32.
inline constexpr std::size_t kWalletPreKeySize = 32;
inline constexpr std::size_t kMaxEncryptedPrivateKeyBundleSize = kMaxPrivateKeyBundleSize + 1024;

struct EncryptedPrivateKeyBundle {
  std::array<std::uint8_t, kWalletPreKeySize> wallet_pre_key{};  // public: it is written in the clear
  Ciphertext ciphertext;

  friend bool operator==(const EncryptedPrivateKeyBundle&, const EncryptedPrivateKeyBundle&) = default;
};

// Fails with kTooLarge over kMaxEncryptedPrivateKeyBundleSize, kMalformed for a missing ciphertext, a
// wallet pre-key that is not 32 bytes, or a ciphertext decode_ciphertext refuses.
Result<EncryptedPrivateKeyBundle> decode_encrypted_private_key_bundle(ByteView bytes);
// As EncryptedPrivateKeyBundle{v1}.
Bytes encode(const EncryptedPrivateKeyBundle& bundle);

}  // namespace keylink::wire::xmtp
