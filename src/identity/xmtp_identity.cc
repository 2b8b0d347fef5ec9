#include "keylink/identity/xmtp_identity.h"

#include <algorithm>
#include <string>
#include <utility>

#include "keylink/base/check.h"
#include "keylink/crypto/errors.h"
#include "keylink/crypto/hash.h"
#include "keylink/crypto/xmtp/conversation_keys.h"
#include "keylink/wire/errors.h"
#include "keylink/wire/xmtp/signatures.h"
#include "keylink/wire/xmtp/topics.h"

namespace keylink::identity {
namespace {

namespace wx = wire::xmtp;

// The bytes a legacy key's signature covers (xmtp-js PublicKey.bytesToSign): the key without it.
Bytes legacy_signed_bytes(const wx::PublicKey& key) {
  return wx::encode(wx::PublicKey{key.timestamp, std::nullopt, key.key});
}

// splitSignature: v = 0/1 is read as 27/28, and recovery = 1 − (v mod 2).
crypto::RecoverableSignature split_wallet_signature(const crypto::EthSignature& signature) {
  crypto::RecoverableSignature out;
  std::copy(signature.begin(), signature.begin() + 64, out.compact.begin());
  int v = signature[64];
  if (v == 0 || v == 1) v += 27;
  out.recovery_id = static_cast<std::uint8_t>(1 - v % 2);
  return out;
}

crypto::EthSignature as_eth_signature(const crypto::RecoverableSignature& signature) {
  crypto::EthSignature out{};
  std::copy(signature.compact.begin(), signature.compact.end(), out.begin());
  out[64] = signature.recovery_id;
  return out;
}

// PublicKey.walletSignatureAddress: either signature kind, over the create-identity text.
Result<crypto::EthAddress> legacy_wallet_address(const wx::PublicKey& identity_key) {
  if (!identity_key.signature) return fail(crypto::Errc::kBadSignature, "identity key: not signed by a wallet");
  const std::string text = crypto::xmtp::create_identity_text(legacy_signed_bytes(identity_key));
  auto address = crypto::personal_sign_recover(as_bytes(text), as_eth_signature(identity_key.signature->value));
  if (!address) return fail(context("identity key: wallet signature", address.error()));
  return address;
}

// UnsignedPublicKey.verifyKey on a legacy pre-key; the signature kind is not looked at (PublicKey's
// constructor refiles wallet_ecdsa_compact as ecdsa_compact).
Result<void> verify_legacy_pre_key(const wx::PublicKey& identity_key, const wx::PublicKey& pre_key) {
  if (!pre_key.signature) return fail(crypto::Errc::kBadSignature, "pre-key: not signed by the identity key");
  auto checked = crypto::secp256k1_verify(identity_key.key, crypto::sha256(legacy_signed_bytes(pre_key)),
                                          pre_key.signature->value.compact);
  if (!checked) return fail(context("pre-key signature by the identity key", checked.error()));
  return {};
}

// SignedPublicKey.fromLegacyKey.
Result<wx::SignedPublicKey> signed_key_from_legacy(const wx::PublicKey& key, bool signed_by_wallet) {
  if (!key.signature) return fail(crypto::Errc::kBadSignature, "legacy key: not signed");
  const auto kind = signed_by_wallet ? wx::SignatureKind::kWalletEcdsaCompact : wx::SignatureKind::kEcdsaCompact;
  const Bytes key_bytes = legacy_signed_bytes(key);
  auto unsigned_key = wx::decode_unsigned_public_key(key_bytes);
  KEYLINK_CHECK(unsigned_key.has_value());  // field numbers 1 and 3 are shared by both messages
  return wx::SignedPublicKey{key_bytes, *unsigned_key, wx::Signature{kind, key.signature->value}};
}

crypto::Secp256k1PrivateKey copy_key(const crypto::Secp256k1PrivateKey& key) {
  auto copy = crypto::Secp256k1PrivateKey::from_bytes(key.secret().clone());
  KEYLINK_CHECK(copy.has_value());
  return std::move(*copy);
}

Result<wx::SignedPrivateKey> signed_private_from_legacy(const wx::PrivateKey& key, bool signed_by_wallet) {
  auto public_key = signed_key_from_legacy(key.public_key, signed_by_wallet);
  if (!public_key) return fail(public_key.error());
  // SignedPrivateKey.fromLegacyKey: createdNs = timestamp.mul(1000000), wrapping as Long does.
  return wx::SignedPrivateKey{key.timestamp * 1'000'000, copy_key(key.secret), std::move(*public_key)};
}

// PrivateKey.generate: one timestamp for the private and the public key.
wx::PrivateKey generate_key(const Clock& clock, Rng& rng) {
  auto secret = crypto::Secp256k1PrivateKey::generate(rng);
  const auto timestamp = static_cast<std::uint64_t>(clock.unix_millis());
  wx::PublicKey public_key{timestamp, std::nullopt, secret.public_key()};
  return wx::PrivateKey{timestamp, std::move(secret), std::move(public_key)};
}

// PrivateKey.signKey: the identity key signs sha256 of the pre-key's signed bytes.
void sign_pre_key(const wx::PrivateKey& identity, wx::PublicKey& pre_key) {
  const auto signature = identity.secret.sign_recoverable(crypto::sha256(legacy_signed_bytes(pre_key)));
  pre_key.signature = wx::Signature{wx::SignatureKind::kEcdsaCompact, signature};
}

wx::PrivateKey copy_private(const wx::PrivateKey& key) {
  return wx::PrivateKey{key.timestamp, copy_key(key.secret), key.public_key};
}

Result<void> check_bundle(const wx::PrivateKeyBundleV1& bundle, const crypto::EthAddress& wallet) {
  if (bundle.pre_keys.empty()) return fail(wire::Errc::kMalformed, "XMTP identity: no pre-key");
  const auto& identity = bundle.identity_key;
  if (identity.secret.public_key() != identity.public_key.key) {
    return fail(wire::Errc::kMalformed, "XMTP identity: the identity key does not match its public key");
  }
  auto signer = legacy_wallet_address(identity.public_key);
  if (!signer) return fail(signer.error());
  if (!(*signer == wallet)) {
    return fail(crypto::Errc::kBadSignature,
                "identity key: signed by wallet " + signer->to_string() + ", not by " + wallet.to_string());
  }
  for (const auto& pre_key : bundle.pre_keys) {
    if (pre_key.secret.public_key() != pre_key.public_key.key) {
      return fail(wire::Errc::kMalformed, "XMTP identity: a pre-key does not match its public key");
    }
    if (auto checked = verify_legacy_pre_key(identity.public_key, pre_key.public_key); !checked) return checked;
  }
  return {};
}

}  // namespace

std::uint64_t key_created_ns(const wx::SignedPublicKey& key) {
  constexpr std::uint64_t kMillisecondsBelow = 10'000'000'000'000;
  return key.key.created_ns < kMillisecondsBelow ? key.key.created_ns * 1'000'000 : key.key.created_ns;
}

std::pair<std::uint64_t, std::uint64_t> bundle_created_ns(const wx::SignedPublicKeyBundle& bundle) {
  return {key_created_ns(bundle.identity_key), key_created_ns(bundle.pre_key)};
}

Result<crypto::EthAddress> verify_public_bundle(const wx::PublicKeyBundle& bundle) {
  auto wallet = legacy_wallet_address(bundle.identity_key);
  if (!wallet) return wallet;
  if (auto checked = verify_legacy_pre_key(bundle.identity_key, bundle.pre_key); !checked) return fail(checked.error());
  return wallet;
}

Result<crypto::EthAddress> verify_public_bundle(const wx::SignedPublicKeyBundle& bundle) {
  auto wallet = wx::wallet_address(bundle.identity_key);
  if (!wallet) return fail(context("identity key: wallet signature", wallet.error()));
  if (auto checked = wx::verify_pre_key(bundle); !checked) return fail(checked.error());
  return wallet;
}

Result<crypto::EthAddress> verify_contact(const wx::ContactBundle& contact) {
  return std::visit([](const auto& bundle) { return verify_public_bundle(bundle); }, contact);
}

Result<void> verify_contact_of(const wx::ContactBundle& contact, const crypto::EthAddress& wallet) {
  auto signer = verify_contact(contact);
  if (!signer) return fail(signer.error());
  if (!(*signer == wallet)) {
    return fail(crypto::Errc::kBadSignature, "contact bundle: the identity key is signed by wallet " +
                                                 signer->to_string() + ", not by " + wallet.to_string());
  }
  return {};
}

Result<wx::SignedPublicKeyBundle> signed_bundle_from_legacy(const wx::PublicKeyBundle& bundle) {
  auto identity = signed_key_from_legacy(bundle.identity_key, true);
  if (!identity) return fail(context("identity key", identity.error()));
  auto pre_key = signed_key_from_legacy(bundle.pre_key, false);
  if (!pre_key) return fail(context("pre-key", pre_key.error()));
  return wx::SignedPublicKeyBundle{std::move(*identity), std::move(*pre_key)};
}

Result<wx::PrivateKeyBundleV2> bundle_v2_from_legacy(const wx::PrivateKeyBundleV1& bundle) {
  auto identity = signed_private_from_legacy(bundle.identity_key, true);
  if (!identity) return fail(context("identity key", identity.error()));
  wx::PrivateKeyBundleV2 out{std::move(*identity), {}};
  for (const auto& legacy : bundle.pre_keys) {
    auto pre_key = signed_private_from_legacy(legacy, false);
    if (!pre_key) return fail(context("pre-key", pre_key.error()));
    out.pre_keys.push_back(std::move(*pre_key));
  }
  return out;
}

Result<XmtpIdentity> XmtpIdentity::create(const EthAccount& wallet, const Clock& clock, Rng& rng) {
  // PrivateKeyBundleV1.generate: the identity key, signed by the wallet; then addPreKey().
  auto identity = generate_key(clock, rng);
  const std::string text = crypto::xmtp::create_identity_text(legacy_signed_bytes(identity.public_key));
  auto signature = wallet.sign_own_xmtp_text(text);
  if (!signature) return fail(context("creating an XMTP identity", signature.error()));
  // signWithWallet files the wallet's signature as ecdsa_compact in the legacy key.
  identity.public_key.signature = wx::Signature{wx::SignatureKind::kEcdsaCompact, split_wallet_signature(*signature)};
  auto pre_key = generate_key(clock, rng);
  sign_pre_key(identity, pre_key.public_key);
  wx::PrivateKeyBundleV1 bundle{std::move(identity), {}};
  bundle.pre_keys.push_back(std::move(pre_key));
  return from_bundle(std::move(bundle), wallet.address());
}

Result<XmtpIdentity> XmtpIdentity::from_bundle(wx::PrivateKeyBundleV1 bundle, const crypto::EthAddress& wallet) {
  if (auto checked = check_bundle(bundle, wallet); !checked) return fail(context("XMTP identity", checked.error()));
  auto v2 = bundle_v2_from_legacy(bundle);
  if (!v2) return fail(context("XMTP identity", v2.error()));
  return XmtpIdentity(wallet, std::move(bundle), std::move(*v2));
}

Result<XmtpIdentity> XmtpIdentity::with_new_pre_key(const Clock& clock, Rng& rng) const {
  auto pre_key = generate_key(clock, rng);
  // Newer than every pre-key before it, whatever the clock says: contacts are ordered by these times.
  const auto newest = std::max_element(v1_.pre_keys.begin(), v1_.pre_keys.end(),
                                       [](const auto& a, const auto& b) { return a.timestamp < b.timestamp; });
  if (newest != v1_.pre_keys.end() && pre_key.timestamp <= newest->timestamp) {
    pre_key.timestamp = pre_key.public_key.timestamp = newest->timestamp + 1;
  }
  sign_pre_key(v1_.identity_key, pre_key.public_key);
  wx::PrivateKeyBundleV1 bundle{copy_private(v1_.identity_key), {}};
  bundle.pre_keys.push_back(std::move(pre_key));
  for (const auto& older : v1_.pre_keys) bundle.pre_keys.push_back(copy_private(older));
  return from_bundle(std::move(bundle), wallet_);
}

wx::PublicKeyBundle XmtpIdentity::public_bundle_v1() const { return wx::public_bundle(v1_); }

wx::SignedPublicKeyBundle XmtpIdentity::public_bundle() const { return wx::public_bundle(v2_); }

std::vector<wx::Envelope> contact_envelopes(const crypto::EthAddress& wallet, const wx::PublicKeyBundle& v1,
                                            const wx::SignedPublicKeyBundle& v2, const Clock& clock) {
  const auto timestamp_ns = static_cast<std::uint64_t>(clock.unix_millis()) * 1'000'000;
  const std::string topic = wx::contact_topic(wallet);
  std::vector<wx::Envelope> out;
  out.push_back(wx::Envelope{topic, timestamp_ns, wx::encode(wx::ContactBundle(v1))});
  out.push_back(wx::Envelope{topic, timestamp_ns, wx::encode(wx::ContactBundle(v2))});
  return out;
}

std::vector<wx::Envelope> XmtpIdentity::contact_envelopes(const Clock& clock) const {
  return identity::contact_envelopes(wallet_, public_bundle_v1(), public_bundle(), clock);
}

}  // namespace keylink::identity
