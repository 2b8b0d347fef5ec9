// The wallet's eip155 account: a secp256k1 key kept sealed in the home, answering personal_sign
// (EIP-191). It refuses to sign the texts that create or unlock a messaging identity, whoever asks.
//
// Stored in the one-row table eth_account(id = 1, sealed_key BLOB, address TEXT): the private key
// sealed by the home's Vault under the label "eth-account", and its EIP-55 address (kept in the clear
// so the account can be shown; load() checks it against the key). An account restored from a BIP39
// mnemonic also keeps the mnemonic's entropy, sealed under "wallet-mnemonic", in the one-row table
// wallet_mnemonic(id = 1, sealed_entropy BLOB), so its words can be shown again for a backup.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "keylink/base/result.h"
#include "keylink/base/rng.h"
#include "keylink/base/secret.h"
#include "keylink/crypto/ethereum.h"
#include "keylink/crypto/secp256k1.h"
#include "keylink/identity/bip39.h"
#include "keylink/identity/errors.h"
#include "keylink/store/database.h"
#include "keylink/store/vault.h"

namespace keylink::identity {

// The Vault label of the sealed account key.
inline constexpr std::string_view kEthAccountLabel = "eth-account";
// The Vault label of the sealed mnemonic entropy.
inline constexpr std::string_view kWalletMnemonicLabel = "wallet-mnemonic";

// The key of the first Ethereum account of a BIP39 wallet: BIP32 at kEthereumAccountPath
// (m/44'/60'/0'/0/0) from the mnemonic's seed without passphrase, as MetaMask, ethers and viem derive it.
// Fails (chance 2^-127) with crypto::Errc::kBadKey when the path gives no key.
Result<crypto::Secp256k1PrivateKey> eth_account_key(const Mnemonic& mnemonic);

// Reserved texts, matched as a byte prefix of the message (the signature covers exact bytes, so a text
// that differs in any byte is useless to the protocol the prefix belongs to).
//
// XMTP v2: the wallet's signature of "XMTP : Create Identity\n<hex key>..." makes that key the wallet's
// messaging identity, and the signature of "XMTP : Enable Identity\n<hex pre-key>..." is the very secret
// that opens the wallet's encrypted XMTP key backup. An app that obtains either can impersonate the
// wallet in XMTP or read its messages. Every text XMTP has the wallet sign begins "XMTP : " (later
// versions add more: installations, inbox ids), so the whole prefix is reserved, not only these two.
inline constexpr std::string_view kXmtpPrefix = "XMTP : ";
inline constexpr std::string_view kXmtpCreateIdentityPrefix = "XMTP : Create Identity";
inline constexpr std::string_view kXmtpEnableIdentityPrefix = "XMTP : Enable Identity";
// keylink's own statements signed by the account (say, binding a device or a messaging key) begin with
// this prefix, so no app can obtain one through personal_sign. Never used for a text an app sends.
inline constexpr std::string_view kKeylinkPrefix = "keylink : ";
// How both reserved XMTP texts end (xmtp-js WalletSigner.identitySigRequestText, storageSigRequestText).
inline constexpr std::string_view kXmtpFooter = "\n\nFor more info: https://xmtp.org/signatures/";

inline constexpr std::array<std::string_view, 2> kReservedPrefixes = {kXmtpPrefix, kKeylinkPrefix};

// The reserved prefix `text` begins with, if any.
std::optional<std::string_view> reserved_prefix(std::string_view text);
// Texts an app may never have signed: those that begin with one of kReservedPrefixes.
bool is_reserved_message(std::string_view text);

// Move-only. Thread-compatible; the const methods may run on several threads at once.
class EthAccount {
 public:
  // Loads the account of the home, creating a new random key from `rng` when there is none. Runs in
  // one IMMEDIATE transaction, or inside the caller's when db is already in one.
  // REQUIRES: `vault` is the vault of `db`.
  static Result<EthAccount> load_or_create(store::Database& db, const store::Vault& vault, Rng& rng);
  // Loads it; kNoAccount when the home has none; store::Errc::kCorrupt when the sealed key does not open
  // or does not match the stored address. Does not write to db.
  static Result<EthAccount> load(store::Database& db, const store::Vault& vault);
  // Stores `private_key` as the home's account. Fails with kAccountExists when the home has one,
  // crypto::Errc::kBadKey for a key outside the curve's range. Transactions as load_or_create.
  static Result<EthAccount> import(store::Database& db, const store::Vault& vault, Rng& rng,
                                   const Secret<32>& private_key);

  // Imports eth_account_key(mnemonic) as import() does, and keeps the mnemonic sealed (see above), both
  // in one transaction. Fails as import() does: kAccountExists when the home has an account already.
  static Result<EthAccount> restore(store::Database& db, const store::Vault& vault, Rng& rng, const Mnemonic& mnemonic);
  // The mnemonic the home's account was restored or created from. kNoMnemonic when the account came
  // from a random key or import(), or the home has none; store::Errc::kCorrupt when the sealed entropy
  // does not open or does not derive the stored account. Does not write to db.
  static Result<Mnemonic> load_mnemonic(store::Database& db, const store::Vault& vault);
  // Deletes the sealed mnemonic, once the person has written the words down: from then on the home
  // holds only the account key, and load_mnemonic() is kNoMnemonic. Succeeds when there is none.
  static Result<void> forget_mnemonic(store::Database& db);

  const crypto::EthAddress& address() const noexcept { return address_; }
  // EIP-191 personal_sign of `message` (the bytes an app sent, already decoded from 0x-hex when it was).
  // Fails with kReservedMessage, naming the prefix, for a reserved text.
  Result<crypto::EthSignature> personal_sign(ByteView message) const;

  // EIP-191 signature of one of the two reserved XMTP texts, for this account's OWN XMTP identity:
  //   "XMTP : Create Identity\n" + lowercase hex of an unsigned public key (at most 256 bytes) + kXmtpFooter
  //   "XMTP : Enable Identity\n" + lowercase hex of a 32-byte wallet pre-key + kXmtpFooter
  // Any other text, including one of these that differs in a byte, fails with kReservedMessage.
  // Only the identity layer's own steps call it (xmtp_identity.h: creating the identity;
  // private_store.h: sealing and opening its backup), with texts they build themselves. It must
  // NEVER be reachable from an app request (a JSON-RPC personal_sign, a keystore RPC): either signature
  // gives whoever holds it the wallet's XMTP identity or the key that opens its backup.
  Result<crypto::EthSignature> sign_own_xmtp_text(std::string_view text) const;

 private:
  EthAccount(crypto::Secp256k1PrivateKey key, crypto::EthAddress address) : key_(std::move(key)), address_(address) {}
  crypto::Secp256k1PrivateKey key_;
  crypto::EthAddress address_;
};

}  // namespace keylink::identity
