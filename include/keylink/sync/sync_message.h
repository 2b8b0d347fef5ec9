// A sync message: a batch of changes sealed with the device-group key and signed by the sending
// installation, published (not ephemeral) on the group key's topic.
//
//   "KLS1" ‖ epoch u64 ‖ key id (8) ‖ sender id (32) ‖ nonce (12) ‖ u32 length ‖ ciphertext ‖ sig (64)
//   ciphertext = ChaCha20-Poly1305(group key, nonce, encode_batch(changes), aad = everything before
//                the length), so the epoch, key and sender are bound to the seal
//   sig = Ed25519 by the sender over "keylink-sync-message-v1" ‖ everything before the signature
//
// open_sync_message refuses, in this order: malformed bytes (kMalformed/kTooLarge), a key this device
// does not hold (kUnknownEpoch: it was removed before that epoch, or has not been given the key yet),
// a sender that is not enabled in this device's installation list (kNotEnabled: a removed device or a
// ghost, whatever epoch it uses; a removed device holds the old keys, so this is what refuses it),
// a bad signature (kBadSignature), a seal that does not open (kDecryptFailed), a batch that does not
// decode (kMalformed / kTooLarge), a change whose author is not in the list (kNotEnabled). Authors may
// be removed installations: an enabled device may forward changes it accepted before their removal.
#pragma once

#include <optional>

#include <cstddef>
#include <vector>

#include "keylink/base/bytes.h"
#include "keylink/base/result.h"
#include "keylink/base/rng.h"
#include "keylink/sync/change.h"
#include "keylink/sync/group_key.h"
#include "keylink/sync/installation.h"
#include "keylink/sync/installation_list.h"
#include "keylink/sync/sync_state.h"

namespace keylink::sync {

inline constexpr std::size_t kMaxSyncMessageSize = 1024 * 1024;

// REQUIRES: batch.size() <= kMaxChangesPerBatch and each change valid (else kTooLarge / kMalformed).
Result<Bytes> seal_sync_message(const std::vector<Change>& batch, const GroupKey& key, const InstallationKeys& sender,
                                Rng& rng);

struct OpenedSyncMessage {
  InstallationId sender{};
  std::uint64_t epoch = 0;
  std::vector<Change> changes;
};
Result<OpenedSyncMessage> open_sync_message(ByteView bytes, const GroupKeyRing& ring, const InstallationList& list);

// open_sync_message, then each change applied to `state`. Returns how many changed it. A message that
// fails to open changes nothing.
Result<std::size_t> receive_sync_message(ByteView bytes, const GroupKeyRing& ring, const InstallationList& list,
                                         SyncState& state);

// The installation that signed a sync message, whatever the list says (kMalformed, kBadSignature):
// when open_sync_message refuses a sender as not listed, this tells a ghost (a key that signs under
// the account's group key without being in the list) from junk.
Result<InstallationId> sync_message_signer(ByteView bytes);

// What else travels on the group topic, sealed with the group key as sync messages are, so that the
// relay reads no device names: installation lists and key rotations.
//
//   "KLA1" ‖ epoch u64 ‖ key id (8) ‖ kind u8 ‖ nonce (12) ‖ u32 length ‖ ciphertext
//   ciphertext = ChaCha20-Poly1305(group key, nonce, payload, aad = everything before the length)
//
// Not signed by a sender: a list proves itself (the identity key signed it), and a rotation is signed
// by the installation that made it; any holder of the group key may forward either (a new device
// publishes the list a lost confirmation kept from the others).
enum class AccountRecordKind : std::uint8_t { kInstallationList = 1, kKeyRotation = 2 };
struct OpenedAccountRecord {
  AccountRecordKind kind = AccountRecordKind::kInstallationList;
  std::uint64_t epoch = 0;
  Bytes payload;  // encode(InstallationList) or encode(KeyRotation): decode and check it
};
// REQUIRES: payload.size() <= kMaxSyncMessageSize - 64.
Bytes seal_account_record(AccountRecordKind kind, ByteView payload, const GroupKey& key, Rng& rng);
// Refuses malformed bytes and unknown kinds (kMalformed), a key this device does not hold
// (kUnknownEpoch) and a seal that does not open (kDecryptFailed).
Result<OpenedAccountRecord> open_account_record(ByteView bytes, const GroupKeyRing& ring);

// Which of the two a message on the group topic is (by its magic); nullopt for neither.
enum class GroupTopicMessage { kSyncMessage, kAccountRecord };
std::optional<GroupTopicMessage> group_topic_message(ByteView bytes);

}  // namespace keylink::sync
