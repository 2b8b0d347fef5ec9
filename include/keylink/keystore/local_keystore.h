// LocalKeystore: the Keystore (keylink/identity/keystore.h) in this process, over the home's database.
//
// The identity's PrivateKeyBundleV1 is kept in the one-row table xmtp_identity(id = 1, address TEXT,
// sealed_bundle BLOB), sealed by the home's Vault (whose data key is sealed under Argon2id of the
// passphrase) under the label "xmtp-identity"; the conversations' keys in xmtp_conversations, each
// sealed under its topic; the refresh jobs' times in xmtp_refresh_jobs(kind, last_run_ns). Nothing
// leaves it but public keys, ciphertexts, signatures (on messages it encrypts itself, on digests by a
// pre-key, on auth tokens of its own account), and plaintexts of what it was asked to decrypt.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "keylink/base/clock.h"
#include "keylink/base/result.h"
#include "keylink/base/rng.h"
#include "keylink/identity/keystore.h"
#include "keylink/identity/xmtp_identity.h"
#include "keylink/store/database.h"
#include "keylink/store/vault.h"
#include "keylink/wire/xmtp/linked_account.h"

namespace keylink::keystore {

inline constexpr std::string_view kXmtpIdentityLabel = "xmtp-identity";

// Thread-compatible, on the thread of its Database. REQUIRES: db, vault and rng outlive it.
class LocalKeystore final : public identity::Keystore {
 public:
  // Stores `identity` as the home's messaging identity. Fails with kIdentityExists when it has one.
  static Result<std::unique_ptr<LocalKeystore>> create(store::Database& db, const store::Vault& vault,
                                                       identity::XmtpIdentity identity, Rng& rng);
  // Loads it; kNoIdentity when the home has none; store::Errc::kCorrupt when it does not open or no
  // longer checks out (identity::XmtpIdentity::from_bundle).
  static Result<std::unique_ptr<LocalKeystore>> load(store::Database& db, const store::Vault& vault, Rng& rng);
  // Device linking, the new device's side: writes the identity and the conversations a link carried
  // (an account's messaging keys, made on another device) as this home's, in the caller's transaction,
  // so that the link commits them with the rest of its state or not at all. load() reads them after the
  // commit. Fails with kIdentityExists when the home has an identity, or with the first conversation
  // that does not check out. REQUIRES: a transaction is open on db.
  static Result<void> adopt(store::Database& db, const store::Vault& vault, wire::xmtp::LinkedAccount account,
                            Rng& rng);
  // Device linking, the side that has the account: the identity and every conversation with its key,
  // encoded (wire::xmtp::LinkedAccount), for a link to carry, sealed, to a new device of this account.
  // The only way keys leave a keystore.
  SecretBytes linked_account() const;
  // The identity key, for what this home signs as the account beside XMTP: its list of devices
  // (keylink/sync). It never leaves the process.
  const crypto::Secp256k1PrivateKey& identity_key() const noexcept;

  // What rotate_pre_key() also writes in its transaction, given the public bundles of the new pre-key
  // (legacy, then V2): the rows that publish them (contact bundles queued in the relay outbox, say).
  using WithNewBundles =
      std::function<Result<void>(const wire::xmtp::PublicKeyBundle&, const wire::xmtp::SignedPublicKeyBundle&)>;
  // Device removal: a new pre-key (identity::XmtpIdentity::with_new_pre_key: signed by the identity key,
  // first in the bundle), which public_key_bundle() and legacy_public_key_bundle() advertise from then
  // on, so that an invitation sealed to the new bundle opens on no device that was given the identity
  // before. The older pre-keys stay: what was sealed to them before still opens here.
  // Its own transaction: the identity row, sealed, with what `also` writes. The new pre-key is used only
  // once that commits; on any failure (of `also` too) the keystore and its row stay as they were.
  // REQUIRES: no transaction is open on the database.
  Result<void> rotate_pre_key(const Clock& clock, Rng& rng, const WithNewBundles& also = {});

  std::string account_address() const override;
  wire::xmtp::SignedPublicKeyBundle public_key_bundle() const override;
  wire::xmtp::PublicKeyBundle legacy_public_key_bundle() const override;

  std::vector<Result<Bytes>> decrypt_v1(std::span<const identity::DecryptV1Request> requests) override;
  std::vector<Result<wire::xmtp::MessageV1>> encrypt_v1(std::span<const identity::EncryptV1Request> requests) override;
  std::vector<Result<Bytes>> decrypt_v2(std::span<const identity::DecryptV2Request> requests) override;
  std::vector<Result<identity::EncryptedV2>> encrypt_v2(std::span<const identity::EncryptV2Request> requests) override;
  std::vector<Result<identity::ConversationReference>> save_invites(
      std::span<const identity::SaveInviteRequest> requests) override;
  Result<identity::CreatedInvite> create_invite(const identity::CreateInviteRequest& request) override;
  Result<void> save_v1_conversations(std::span<const identity::ConversationReference> conversations) override;
  Result<std::vector<identity::ConversationReference>> v1_conversations() override;
  Result<std::vector<identity::ConversationReference>> v2_conversations() override;
  std::vector<Result<Bytes>> self_encrypt(std::span<const Bytes> payloads) override;
  std::vector<Result<Bytes>> self_decrypt(std::span<const Bytes> payloads) override;
  Result<std::string> private_preferences_topic_identifier() override;
  Result<std::map<std::string, std::vector<identity::HmacKey>>> v2_conversation_hmac_keys(
      std::span<const std::string> topics, std::int64_t now_s) override;
  Result<wire::xmtp::Signature> sign_digest(ByteView digest, std::uint32_t pre_key_index) override;
  Result<Bytes> create_auth_token(std::uint64_t timestamp_ns) override;
  Result<std::int64_t> refresh_job(identity::RefreshJob kind) override;
  Result<void> set_refresh_job(identity::RefreshJob kind, std::int64_t last_run_ns) override;

  ~LocalKeystore() override;

 private:
  struct State;
  explicit LocalKeystore(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace keylink::keystore
