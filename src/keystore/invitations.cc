#include "invitations.h"

#include <cstdint>
#include <string>
#include <utility>

#include "keylink/crypto/xmtp/ciphertext.h"
#include "keylink/crypto/xmtp/conversation_keys.h"
#include "keylink/identity/keystore_errors.h"
#include "keylink/identity/xmtp_identity.h"
#include "keylink/wire/errors.h"
#include "keylink/wire/xmtp/invitation.h"
#include "keylink/wire/xmtp/signatures.h"

namespace keylink::keystore {
namespace {

namespace wx = wire::xmtp;

// Which wallet a peer bundle speaks for, once both of its signatures check out.
Result<std::string> verified_address(const wx::SignedPublicKeyBundle& bundle) {
  if (auto signed_pre_key = wx::verify_pre_key(bundle); !signed_pre_key) return fail(signed_pre_key.error());
  auto address = wx::wallet_address(bundle.identity_key);
  if (!address) return fail(context("identity key", address.error()));
  return address->to_string();
}

bool same_key(const wx::SignedPublicKey& key, const crypto::Secp256k1PublicKey& mine) { return key.key.key == mine; }

// An invitation cannot be older than the keys it is sealed with: a sender who dates one before them
// (1 ms, say) wants it to win over the real one.
Result<void> check_not_before_keys(const wx::SealedInvitationHeaderV1& header) {
  for (const auto* bundle : {&header.sender, &header.recipient}) {
    for (const auto* key : {&bundle->identity_key, &bundle->pre_key}) {
      if (header.created_ns < identity::key_created_ns(*key)) {
        return fail(identity::KeystoreErrc::kBadTime,
                    "invitation dated " + std::to_string(header.created_ns) + " ns, before the " +
                        (bundle == &header.sender ? "sender's" : "recipient's") + " keys were made (" +
                        std::to_string(identity::key_created_ns(*key)) + " ns)");
      }
    }
  }
  return {};
}

}  // namespace

Result<std::pair<identity::CreatedInvite, StoredConversation>> seal_invitation(
    const wx::PrivateKeyBundleV2& mine, const std::string& my_address, const identity::CreateInviteRequest& request,
    Rng& rng) {
  auto peer_address = verified_address(request.recipient);
  if (!peer_address) return fail(context("invitation recipient", peer_address.error()));
  const auto& my_pre_key = mine.pre_keys.front().secret.public_key();
  // The keys: 3DH with the side chosen by address order, so that both parties derive the same ones.
  auto keys_secret = wx::shared_secret(mine, my_pre_key, request.recipient,
                                       crypto::xmtp::invitation_is_recipient(my_address, *peer_address));
  if (!keys_secret) return fail(keys_secret.error());
  auto keys =
      crypto::xmtp::derive_invitation_keys(keys_secret->expose(), request.conversation_id, my_address, *peer_address);
  const wx::InvitationV1 invitation{keys.topic, request.conversation_id, request.metadata, keys.key_material.clone(),
                                    std::nullopt};
  // The seal: 3DH as the sender, the header as AAD.
  wx::SealedInvitationHeaderV1 header{wx::public_bundle(mine), request.recipient, request.created_ns};
  Bytes header_bytes = wx::encode(header);
  auto seal_secret = wx::shared_secret(mine, my_pre_key, request.recipient, false);
  if (!seal_secret) return fail(seal_secret.error());
  auto ciphertext = crypto::xmtp::seal(seal_secret->expose(), wx::encode(invitation), header_bytes, rng);
  const wx::SealedInvitation sealed{std::move(header_bytes), std::move(header), std::move(ciphertext)};

  identity::ConversationReference reference{keys.topic, request.created_ns, *peer_address, request.conversation_id,
                                            request.metadata};
  identity::CreatedInvite created{wx::encode(sealed), reference};
  return std::pair{std::move(created), StoredConversation{std::move(reference), std::move(keys.key_material)}};
}

Result<StoredConversation> open_invitation(const wx::PrivateKeyBundleV2& mine, const std::string& my_address,
                                           const identity::SaveInviteRequest& request) {
  const wx::Envelope envelope{request.content_topic, request.timestamp_ns, request.sealed_invitation};
  auto sealed = wx::decode_sealed_invitation(envelope);
  if (!sealed) return fail(sealed.error());
  const auto& header = sealed->header;
  const auto& my_identity = mine.identity_key.secret.public_key();
  const bool i_sent = same_key(header.sender.identity_key, my_identity);
  if (!i_sent && !same_key(header.recipient.identity_key, my_identity)) {
    return fail(identity::KeystoreErrc::kNotForMe, "invitation between two other identities");
  }
  // xmtp-js SealedInvitationV1.getInvitation: the sender opens with the recipient's bundle, the
  // recipient with the sender's, each with the pre-key the header names as theirs.
  const auto& peer = i_sent ? header.recipient : header.sender;
  const auto& my_pre_key = i_sent ? header.sender.pre_key : header.recipient.pre_key;
  auto peer_address = verified_address(peer);
  if (!peer_address) return fail(context(i_sent ? "invitation recipient" : "invitation sender", peer_address.error()));
  if (*peer_address == my_address)
    return fail(identity::KeystoreErrc::kNotForMe, "invitation from this identity to itself");
  if (auto dated = check_not_before_keys(header); !dated) return fail(dated.error());
  auto secret = wx::shared_secret(mine, my_pre_key.key.key, peer, !i_sent);
  if (!secret) return fail(context("invitation", secret.error()));
  auto plaintext = crypto::xmtp::open(secret->expose(), sealed->ciphertext, sealed->header_bytes);
  if (!plaintext) return fail(context("invitation (altered header or ciphertext)", plaintext.error()));
  auto invitation = wx::decode_invitation_v1(*plaintext);
  if (!invitation) return fail(invitation.error());
  if (!invitation->topic.starts_with("/xmtp/0/m-") || !invitation->topic.ends_with("/proto")) {
    return fail(wire::Errc::kMalformed, "invitation topic " + invitation->topic + " is not a V2 conversation topic");
  }
  // Deterministic invitations (xmtp-js >= 9.4): the topic and key are the ones the two parties' keys
  // derive for this conversation id. Any other topic could be a conversation of someone else's that
  // the sender learned (topics travel in the clear) and wants to take over.
  auto keys_secret = wx::shared_secret(mine, my_pre_key.key.key, peer,
                                       crypto::xmtp::invitation_is_recipient(my_address, *peer_address));
  if (!keys_secret) return fail(context("invitation", keys_secret.error()));
  const auto keys = crypto::xmtp::derive_invitation_keys(keys_secret->expose(), invitation->conversation_id, my_address,
                                                         *peer_address);
  if (keys.topic != invitation->topic) {
    return fail(identity::KeystoreErrc::kConflict,
                "invitation topic " + invitation->topic + " is not the one the keys of this identity and " +
                    *peer_address +
                    " derive (a topic of another conversation, or an invitation older than xmtp-js 9.4)");
  }
  if (!(keys.key_material == invitation->key_material)) {
    return fail(identity::KeystoreErrc::kConflict,
                "invitation to " + invitation->topic + " carries another key than its parties' keys derive");
  }
  identity::ConversationReference reference{invitation->topic, header.created_ns, *peer_address,
                                            invitation->conversation_id, invitation->metadata};
  return StoredConversation{std::move(reference), std::move(invitation->key_material)};
}

}  // namespace keylink::keystore
