// An XMTP v2 identity of the home's wallet, made and checked as xmtp-js 13 makes and checks them.
//
// The identity is a PrivateKeyBundleV1 (what xmtp-js generates, backs up and keeps): an identity key
// whose public key the wallet signs (EIP-191 over create_identity_text), and a pre-key signed by the
// identity key. Everything V2 (invitations, V2 messages) uses the V2 bundle derived from it exactly as
// PrivateKeyBundleV2.fromLegacyBundle derives it, so a V2 bundle published by keylink is the one
// xmtp-js would publish for the same keys.
//
// Peers' bundles come from contact topics, which anyone can write to: verify_contact() says which
// wallet vouches for a bundle, and verify_contact_of() refuses one not vouched for by the wallet the
// topic belongs to.
#pragma once

#include <utility>
#include <vector>

#include "keylink/base/clock.h"
#include "keylink/base/result.h"
#include "keylink/base/rng.h"
#include "keylink/crypto/ethereum.h"
#include "keylink/identity/eth_account.h"
#include "keylink/wire/xmtp/contact.h"
#include "keylink/wire/xmtp/keys.h"
#include "keylink/wire/xmtp/network_envelope.h"
#include "keylink/wire/xmtp/private_keys.h"

namespace keylink::identity {

// The wallet that signed a peer's bundle, once both signatures hold: the identity key's by a wallet
// (V1: a legacy signature over PublicKey{timestamp, key}; V2: wallet_ecdsa_compact over key_bytes) and
// the pre-key's by that identity key (ECDSA over sha256 of the pre-key's signed bytes).
// Fails with crypto::Errc::kBadSignature naming the signature that failed ("identity key: …",
// "pre-key signature by the identity key: …").
Result<crypto::EthAddress> verify_public_bundle(const wire::xmtp::PublicKeyBundle& bundle);
Result<crypto::EthAddress> verify_public_bundle(const wire::xmtp::SignedPublicKeyBundle& bundle);
Result<crypto::EthAddress> verify_contact(const wire::xmtp::ContactBundle& contact);
// As verify_contact, and fails with kBadSignature when the signing wallet is not `wallet` (a bundle
// read from wallet's contact topic but signed by anyone else, or altered so it recovers another key).
Result<void> verify_contact_of(const wire::xmtp::ContactBundle& contact, const crypto::EthAddress& wallet);

// When a key was made, in ns, as its signature vouches for it: created_ns, or for a key converted from
// a V1 bundle, whose millisecond timestamp lands in created_ns (see below), that timestamp × 10^6. No
// nanosecond time after 1970-01-01 03:00 is below 10^13, and no millisecond time before 2286 above it.
std::uint64_t key_created_ns(const wire::xmtp::SignedPublicKey& key);
// When a bundle was made: (identity key, pre-key) creation times, in ns; the greater pair is newer.
std::pair<std::uint64_t, std::uint64_t> bundle_created_ns(const wire::xmtp::SignedPublicKeyBundle& bundle);

// xmtp-js SignedPublicKeyBundle.fromLegacyBundle: key_bytes = the legacy key's signed bytes (its
// millisecond timestamp lands in created_ns), the identity key's signature refiled as
// wallet_ecdsa_compact. Fails with kBadSignature when a key is unsigned.
Result<wire::xmtp::SignedPublicKeyBundle> signed_bundle_from_legacy(const wire::xmtp::PublicKeyBundle& bundle);
// xmtp-js PrivateKeyBundleV2.fromLegacyBundle: as above for each key, and created_ns = timestamp × 10^6
// for the private keys. Fails with kBadSignature when a key is unsigned.
Result<wire::xmtp::PrivateKeyBundleV2> bundle_v2_from_legacy(const wire::xmtp::PrivateKeyBundleV1& bundle);

// What xmtp-js Client.ensureUserContactPublished publishes on contact_topic(wallet), in order:
// ContactBundle{v1} (for pre-v7 clients), then ContactBundle{v2}, each stamped clock.unix_millis() × 10^6
// ns (the API client stamps new Date()).
std::vector<wire::xmtp::Envelope> contact_envelopes(const crypto::EthAddress& wallet,
                                                    const wire::xmtp::PublicKeyBundle& v1,
                                                    const wire::xmtp::SignedPublicKeyBundle& v2, const Clock& clock);

// Move-only: it holds private keys. Thread-compatible.
class XmtpIdentity {
 public:
  // A new identity for `wallet`, as xmtp-js PrivateKeyBundleV1.generate(wallet): an identity key and a
  // pre-key from `rng`, each stamped with clock.unix_millis() when made; the wallet signs the identity
  // key (EthAccount::sign_own_xmtp_text), the identity key signs the pre-key.
  static Result<XmtpIdentity> create(const EthAccount& wallet, const Clock& clock, Rng& rng);
  // Adopts a bundle (restored from the private store, or kept sealed by a keystore) after checking it:
  // at least one pre-key, each private key matching its public key, the identity key signed by `wallet`,
  // every pre-key signed by the identity key. Fails with kBadSignature (naming what failed) or
  // wire::Errc::kMalformed.
  static Result<XmtpIdentity> from_bundle(wire::xmtp::PrivateKeyBundleV1 bundle, const crypto::EthAddress& wallet);

  // This identity with a new pre-key, as xmtp-js PrivateKeyBundleV1.addPreKey() adds one: from `rng`,
  // signed by the identity key, and put first, so that public_bundle() advertises it; the older
  // pre-keys follow it, so that what was sealed to them still opens. It is stamped clock.unix_millis(),
  // or 1 ms past the newest pre-key when the clock is not past that (a clock set back), so that a bundle
  // advertising it is newer (bundle_created_ns) than every bundle this identity advertised before.
  // The identity key stays: whoever holds it (a removed device) can still sign pre-keys of its own.
  Result<XmtpIdentity> with_new_pre_key(const Clock& clock, Rng& rng) const;

  const crypto::EthAddress& wallet() const noexcept { return wallet_; }
  const wire::xmtp::PrivateKeyBundleV1& bundle_v1() const noexcept { return v1_; }
  const wire::xmtp::PrivateKeyBundleV2& bundle_v2() const noexcept { return v2_; }
  // The identity key and the current (first) pre-key.
  wire::xmtp::PublicKeyBundle public_bundle_v1() const;
  wire::xmtp::SignedPublicKeyBundle public_bundle() const;

  // contact_envelopes() of this identity.
  std::vector<wire::xmtp::Envelope> contact_envelopes(const Clock& clock) const;

 private:
  XmtpIdentity(crypto::EthAddress wallet, wire::xmtp::PrivateKeyBundleV1 v1, wire::xmtp::PrivateKeyBundleV2 v2)
      : wallet_(wallet), v1_(std::move(v1)), v2_(std::move(v2)) {}
  crypto::EthAddress wallet_;
  wire::xmtp::PrivateKeyBundleV1 v1_;
  wire::xmtp::PrivateKeyBundleV2 v2_;
};

}  // namespace keylink::identity
