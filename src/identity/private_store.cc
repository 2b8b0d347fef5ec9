#include "keylink/identity/private_store.h"

#include <string>
#include <utility>

#include "keylink/base/check.h"
#include "keylink/base/encoding.h"
#include "keylink/base/secret.h"
#include "keylink/crypto/errors.h"
#include "keylink/crypto/xmtp/ciphertext.h"
#include "keylink/wire/errors.h"
#include "keylink/wire/xmtp/topics.h"

namespace keylink::identity {
namespace {

namespace wx = wire::xmtp;

// The wallet's signature of the pre-key's text, r ‖ s ‖ v as the wallet returns it: the backup's secret.
Result<Secret<65>> wallet_secret(const EthAccount& wallet,
                                 const std::array<std::uint8_t, wx::kWalletPreKeySize>& pre_key) {
  auto signature = wallet.sign_own_xmtp_text(enable_identity_text(pre_key));
  if (!signature) return fail(signature.error());
  Secret<65> secret{ByteView(*signature)};
  secure_wipe(signature->data(), signature->size());
  return secret;
}

// NetworkKeyManager.fromEncryptedBytes: Ledger signs with v = 0/1, most wallets with 27/28, and the
// backup holds whichever the writer's wallet gave; the other form is v ± 27.
Secret<65> other_v(const Secret<65>& secret) {
  auto other = secret.clone();
  auto& v = other.expose_mutable()[64];
  v = static_cast<std::uint8_t>(v < 27 ? v + 27 : v - 27);
  return other;
}

// getPrivateBundle: a PrivateKeyBundle{v1}, or (the first format) a bare PrivateKeyBundleV1, which is
// the v1 field's contents: read it wrapped in that field.
Result<wx::PrivateKeyBundleV1> decode_v1(ByteView plaintext) {
  auto bundle = wx::decode_private_key_bundle(plaintext);
  if (!bundle) {
    SecretBytes wrapped(plaintext.size() + 11);
    auto out = wrapped.expose_mutable();
    std::size_t n = 0;
    out[n++] = 0x0a;  // field 1 (v1), length-delimited
    for (std::uint64_t size = plaintext.size();; size >>= 7) {
      out[n++] = static_cast<std::uint8_t>(size < 0x80 ? size : (size & 0x7f) | 0x80);
      if (size < 0x80) break;
    }
    std::copy(plaintext.begin(), plaintext.end(), out.begin() + static_cast<std::ptrdiff_t>(n));
    auto bare = wx::decode_private_key_bundle(ByteView(out).first(n + plaintext.size()));
    if (!bare) return fail(bundle.error());
    bundle = std::move(bare);
  }
  if (!std::holds_alternative<wx::PrivateKeyBundleV1>(*bundle)) {
    return fail(wire::Errc::kBadVersion, "the backup holds a V2 private bundle; xmtp-js writes V1 only");
  }
  return std::move(std::get<wx::PrivateKeyBundleV1>(*bundle));
}

}  // namespace

std::string enable_identity_text(const std::array<std::uint8_t, wx::kWalletPreKeySize>& wallet_pre_key) {
  // storageSigRequestText.
  return std::string(kXmtpEnableIdentityPrefix) + "\n" + to_hex(wallet_pre_key) + std::string(kXmtpFooter);
}

Result<wx::EncryptedPrivateKeyBundle> seal_private_store(const XmtpIdentity& identity, const EthAccount& wallet,
                                                         Rng& rng) {
  KEYLINK_CHECK(wallet.address() == identity.wallet());
  wx::EncryptedPrivateKeyBundle out;
  out.wallet_pre_key = rng.bytes<wx::kWalletPreKeySize>();
  auto secret = wallet_secret(wallet, out.wallet_pre_key);
  if (!secret) return fail(context("sealing the XMTP private store", secret.error()));
  SecretBytes plaintext(wx::encode(identity.bundle_v1()));
  out.ciphertext = crypto::xmtp::seal(secret->expose(), plaintext.expose(), {}, rng);
  return out;
}

Result<XmtpIdentity> open_private_store(const wx::EncryptedPrivateKeyBundle& stored, const EthAccount& wallet) {
  auto secret = wallet_secret(wallet, stored.wallet_pre_key);
  if (!secret) return fail(context("opening the XMTP private store", secret.error()));
  auto plaintext = crypto::xmtp::open(secret->expose(), stored.ciphertext, {});
  if (!plaintext) plaintext = crypto::xmtp::open(other_v(*secret).expose(), stored.ciphertext, {});
  if (!plaintext) {
    return fail(crypto::Errc::kDecryptFailed, "XMTP private store: the backup does not open with wallet " +
                                                  wallet.address().to_string() +
                                                  ": it was made by another wallet, or altered");
  }
  const SecretBytes bundle_bytes(*plaintext);
  secure_wipe(plaintext->data(), plaintext->size());
  auto bundle = decode_v1(bundle_bytes.expose());
  if (!bundle) return fail(context("XMTP private store", bundle.error()));
  return XmtpIdentity::from_bundle(std::move(*bundle), wallet.address());
}

Result<XmtpIdentity> open_private_store(ByteView stored, const EthAccount& wallet) {
  auto decoded = wx::decode_encrypted_private_key_bundle(stored);
  if (!decoded) return fail(context("XMTP private store", decoded.error()));
  return open_private_store(*decoded, wallet);
}

wx::Envelope private_store_envelope(const wx::EncryptedPrivateKeyBundle& stored, const crypto::EthAddress& wallet,
                                    const Clock& clock) {
  return wx::Envelope{wx::private_store_topic(wallet), static_cast<std::uint64_t>(clock.unix_millis()) * 1'000'000,
                      wx::encode(stored)};
}

}  // namespace keylink::identity
