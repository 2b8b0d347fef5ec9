// The private-store backup of the wallet's XMTP identity (xmtp-js NetworkKeyManager), readable by
// xmtp-js and by keylink alike:
//   the wallet signs (EIP-191) "XMTP : Enable Identity\n" + hex(wallet_pre_key) + kXmtpFooter, with
//   wallet_pre_key 32 random bytes; the 65 signature bytes r ‖ s ‖ v are the secret of
//   crypto::xmtp::seal (HKDF-SHA256 with a random salt, AES-256-GCM, no associated data) over the
//   encoded PrivateKeyBundle{v1}; stored as EncryptedPrivateKeyBundle{v1{wallet_pre_key, ciphertext}}
//   on private_store_topic(wallet).
// Opening also tries v ± 27, since some wallets (Ledger) sign with v = 0/1 and others with 27/28.
//
// Hazard: the wallet pre-key is public and wallet signatures are deterministic, so whoever obtains the
// wallet's signature of that text opens the backup. Only EthAccount::sign_own_xmtp_text signs it, and
// only from here.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "keylink/base/bytes.h"
#include "keylink/base/clock.h"
#include "keylink/base/result.h"
#include "keylink/base/rng.h"
#include "keylink/identity/eth_account.h"
#include "keylink/identity/xmtp_identity.h"
#include "keylink/wire/xmtp/network_envelope.h"
#include "keylink/wire/xmtp/private_store.h"

namespace keylink::identity {

// The text the wallet signs to seal or open a backup made with this pre-key (storageSigRequestText).
std::string enable_identity_text(const std::array<std::uint8_t, wire::xmtp::kWalletPreKeySize>& wallet_pre_key);

// Seals identity.bundle_v1() for its wallet, with a wallet pre-key, HKDF salt and GCM nonce from `rng`.
// REQUIRES: wallet.address() == identity.wallet().
Result<wire::xmtp::EncryptedPrivateKeyBundle> seal_private_store(const XmtpIdentity& identity, const EthAccount& wallet,
                                                                 Rng& rng);

// Opens a backup with `wallet` and adopts the bundle inside (XmtpIdentity::from_bundle).
// Fails with crypto::Errc::kDecryptFailed when neither v nor v ± 27 opens it (the backup was made by
// another wallet, or altered); wire::Errc::kMalformed when the plaintext is not a V1 private bundle;
// crypto::Errc::kBadSignature when the bundle inside is not an identity of this wallet.
Result<XmtpIdentity> open_private_store(const wire::xmtp::EncryptedPrivateKeyBundle& stored, const EthAccount& wallet);
// As above, from the bytes of a private-store envelope (decode_encrypted_private_key_bundle first).
Result<XmtpIdentity> open_private_store(ByteView stored, const EthAccount& wallet);

// The envelope TopicPersistence.setItem publishes: on private_store_topic(wallet), stamped
// clock.unix_millis() × 10^6 ns.
wire::xmtp::Envelope private_store_envelope(const wire::xmtp::EncryptedPrivateKeyBundle& stored,
                                            const crypto::EthAddress& wallet, const Clock& clock);

}  // namespace keylink::identity
