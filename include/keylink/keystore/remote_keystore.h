// RemoteKeystore: the Keystore (keylink/identity/keystore.h) of an app whose keys are in a wallet
// elsewhere (docs/keystore.md): each call is one request of the `xmtp` namespace over a
// KeystoreTransport (a WalletConnect session, a local socket), its protobuf encoded here and the
// wallet's answer decoded and checked here.
//
// A batch is one request (a page of messages, one round trip); a batch of more than kMaxBatch items is
// sent as several, in order. Each item keeps its own result: the wallet's KeystoreError for an item
// (NO_MATCHING_PREKEY: kUnknownConversation for a topic, kNotForMe for a V1 message or an invitation;
// INVALID_INPUT: wire::Errc::kMalformed; others: KeystoreErrc::kRefused), or, when a request fails as a
// whole (the transport's error: the wallet refused it or was not reached; or an answer that does not
// decode or has another count of items), that error in every slot of the request.
// What the wallet answers is not trusted: the public bundle's pre-key must be signed by its identity
// key, and that key by a wallet, whose address is account_address(): the caller compares it with the
// account it expects (the session's `xmtp:v2:0x…`). Each answer must decode within
// kMaxKeystoreMessageSize.
#pragma once

#include <memory>

#include "keylink/base/result.h"
#include "keylink/identity/keystore.h"
#include "keylink/keystore/transport.h"

namespace keylink::keystore {

// Thread-compatible, as its transport is.
class RemoteKeystore final : public identity::Keystore {
 public:
  // Asks the wallet for its public bundle (xmtp_getPublicKeyBundle) once, and keeps it: the legacy
  // bundle as the wallet gives it, the V2 bundle derived from it (identity::signed_bundle_from_legacy,
  // as LocalKeystore derives its own). Fails with the transport's error, or with crypto::Errc::
  // kBadSignature when the bundle's keys are not signed by a wallet and its identity key.
  static Result<std::unique_ptr<RemoteKeystore>> connect(std::unique_ptr<KeystoreTransport> transport);

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
  // The periods are around the wallet's clock: the request carries no time, `now_s` is not sent.
  Result<std::map<std::string, std::vector<identity::HmacKey>>> v2_conversation_hmac_keys(
      std::span<const std::string> topics, std::int64_t now_s) override;
  Result<wire::xmtp::Signature> sign_digest(ByteView digest, std::uint32_t pre_key_index) override;
  Result<Bytes> create_auth_token(std::uint64_t timestamp_ns) override;
  Result<std::int64_t> refresh_job(identity::RefreshJob kind) override;
  Result<void> set_refresh_job(identity::RefreshJob kind, std::int64_t last_run_ns) override;

 private:
  RemoteKeystore(std::unique_ptr<KeystoreTransport> transport, std::string address, wire::xmtp::PublicKeyBundle legacy,
                 wire::xmtp::SignedPublicKeyBundle bundle);

  std::unique_ptr<KeystoreTransport> transport_;
  std::string address_;
  wire::xmtp::PublicKeyBundle legacy_;
  wire::xmtp::SignedPublicKeyBundle bundle_;
};

}  // namespace keylink::keystore
