#include "keylink/sync/sync_message.h"

#include "keylink/crypto/aead.h"
#include "keylink/sync/errors.h"
#include "sync/change_codec.h"
#include "sync/codec.h"

namespace keylink::sync {
namespace {

constexpr std::string_view kMagic = "KLS1";
constexpr std::string_view kRecordMagic = "KLA1";
constexpr std::string_view kSignLabel = "keylink-sync-message-v1";
// magic, epoch, key id, sender, nonce
constexpr std::size_t kHeaderSize = 4 + 8 + 8 + 32 + crypto::kAeadNonceSize;

Bytes signed_bytes(ByteView message_without_signature) {
  return concat(as_bytes(kSignLabel), message_without_signature);
}

}  // namespace

Result<Bytes> seal_sync_message(const std::vector<Change>& batch, const GroupKey& key, const InstallationKeys& sender,
                                Rng& rng) {
  if (batch.size() > kMaxChangesPerBatch) return fail(Errc::kTooLarge, "more than 1024 changes in one message");
  for (const auto& change : batch) {
    if (auto valid = validate_stamped(change); !valid) return tl::unexpected(valid.error());
  }
  const Bytes plaintext = encode_batch(batch);
  const crypto::AeadNonce nonce = rng.bytes<crypto::kAeadNonceSize>();
  codec::Writer w;
  w.raw(as_bytes(kMagic));
  w.u64(key.epoch());
  w.raw(key.id());
  w.raw(sender.id());
  w.raw(nonce);
  const Bytes header = w.bytes();
  w.bytes32(crypto::chacha20poly1305_seal(key.key(), nonce, plaintext, header));
  if (w.bytes().size() + 64 > kMaxSyncMessageSize) return fail(Errc::kTooLarge, "sync message larger than 1 MiB");
  const crypto::Ed25519Signature signature = sender.signing.sign(signed_bytes(w.bytes()));
  w.raw(signature);
  return w.take();
}

Result<OpenedSyncMessage> open_sync_message(ByteView bytes, const GroupKeyRing& ring, const InstallationList& list) {
  if (bytes.size() > kMaxSyncMessageSize) return fail(Errc::kTooLarge, "sync message larger than 1 MiB");
  codec::Reader r(bytes);
  if (as_chars(r.take(kMagic.size())) != kMagic) return fail(Errc::kMalformed, "not a sync message");
  OpenedSyncMessage out;
  out.epoch = r.u64();
  const GroupKeyId key_id = r.array<8>();
  out.sender = r.array<32>();
  const crypto::AeadNonce nonce = r.array<crypto::kAeadNonceSize>();
  const Bytes sealed = r.bytes32(kMaxSyncMessageSize);
  const std::size_t signed_size = r.offset();
  const crypto::Ed25519Signature signature = r.array<64>();
  if (!r.at_end()) return fail(Errc::kMalformed, "sync message: truncated or trailing bytes");

  const GroupKey* key = ring.find(out.epoch, key_id);
  if (key == nullptr)
    return fail(Errc::kUnknownEpoch, "sync message sealed with a device-group key this device does not hold (epoch " +
                                         std::to_string(out.epoch) + ")");
  const Installation* sender = list.find(out.sender);
  if (sender == nullptr) return fail(Errc::kNotEnabled, "sync message from a ghost (not in the installation list)");
  if (sender->status != InstallationStatus::kEnabled)
    return fail(Errc::kNotEnabled, "sync message from a removed device (removed at list version " +
                                       std::to_string(sender->removed_at_version) + ")");
  if (!crypto::ed25519_verify(out.sender, signed_bytes(bytes.first(signed_size)), signature))
    return fail(Errc::kBadSignature, "sync message: not signed by the installation it names");
  auto plaintext = crypto::chacha20poly1305_open(key->key(), nonce, sealed, bytes.first(kHeaderSize));
  if (!plaintext) return fail(Errc::kDecryptFailed, "sync message: the seal does not open");
  auto batch = decode_batch(*plaintext);
  if (!batch) return tl::unexpected(context("sync message", batch.error()));
  for (const auto& change : *batch) {
    // Authors may be any listed installation (a snapshot forwards others' changes), never a ghost.
    if (list.find(change.stamp.author) == nullptr)
      return fail(Errc::kNotEnabled, "sync message: a change by an installation not in the list");
  }
  out.changes = std::move(*batch);
  return out;
}

Result<std::size_t> receive_sync_message(ByteView bytes, const GroupKeyRing& ring, const InstallationList& list,
                                         SyncState& state) {
  auto opened = open_sync_message(bytes, ring, list);
  if (!opened) return tl::unexpected(opened.error());
  std::size_t changed = 0;
  for (const auto& change : opened->changes) {
    auto applied = state.apply(change);
    if (!applied) return tl::unexpected(context("sync message", applied.error()));
    if (*applied) ++changed;
  }
  return changed;
}

Result<InstallationId> sync_message_signer(ByteView bytes) {
  if (bytes.size() > kMaxSyncMessageSize) return fail(Errc::kTooLarge, "sync message larger than 1 MiB");
  codec::Reader r(bytes);
  if (as_chars(r.take(kMagic.size())) != kMagic) return fail(Errc::kMalformed, "not a sync message");
  r.take(8 + 8);
  const InstallationId sender = r.array<32>();
  r.take(crypto::kAeadNonceSize);
  r.bytes32(kMaxSyncMessageSize);
  const std::size_t signed_size = r.offset();
  const crypto::Ed25519Signature signature = r.array<64>();
  if (!r.at_end()) return fail(Errc::kMalformed, "sync message: truncated or trailing bytes");
  if (!crypto::ed25519_verify(sender, signed_bytes(bytes.first(signed_size)), signature))
    return fail(Errc::kBadSignature, "sync message: not signed by the installation it names");
  return sender;
}

Bytes seal_account_record(AccountRecordKind kind, ByteView payload, const GroupKey& key, Rng& rng) {
  const crypto::AeadNonce nonce = rng.bytes<crypto::kAeadNonceSize>();
  codec::Writer w;
  w.raw(as_bytes(kRecordMagic));
  w.u64(key.epoch());
  w.raw(key.id());
  w.u8(static_cast<std::uint8_t>(kind));
  w.raw(nonce);
  const Bytes header = w.bytes();
  w.bytes32(crypto::chacha20poly1305_seal(key.key(), nonce, payload, header));
  return w.take();
}

Result<OpenedAccountRecord> open_account_record(ByteView bytes, const GroupKeyRing& ring) {
  if (bytes.size() > kMaxSyncMessageSize) return fail(Errc::kTooLarge, "account record larger than 1 MiB");
  codec::Reader r(bytes);
  if (as_chars(r.take(kRecordMagic.size())) != kRecordMagic) return fail(Errc::kMalformed, "not an account record");
  OpenedAccountRecord out;
  out.epoch = r.u64();
  const GroupKeyId key_id = r.array<8>();
  const std::uint8_t kind = r.u8();
  const crypto::AeadNonce nonce = r.array<crypto::kAeadNonceSize>();
  const std::size_t header_size = r.offset();
  const Bytes sealed = r.bytes32(kMaxSyncMessageSize);
  if (!r.at_end()) return fail(Errc::kMalformed, "account record: truncated or trailing bytes");
  if (kind != static_cast<std::uint8_t>(AccountRecordKind::kInstallationList) &&
      kind != static_cast<std::uint8_t>(AccountRecordKind::kKeyRotation)) {
    return fail(Errc::kMalformed, "account record of an unknown kind " + std::to_string(kind));
  }
  out.kind = static_cast<AccountRecordKind>(kind);
  const GroupKey* key = ring.find(out.epoch, key_id);
  if (key == nullptr)
    return fail(Errc::kUnknownEpoch, "account record sealed with a device-group key this device does not hold (epoch " +
                                         std::to_string(out.epoch) + ")");
  auto plaintext = crypto::chacha20poly1305_open(key->key(), nonce, sealed, bytes.first(header_size));
  if (!plaintext) return fail(Errc::kDecryptFailed, "account record: the seal does not open");
  out.payload = std::move(*plaintext);
  return out;
}

std::optional<GroupTopicMessage> group_topic_message(ByteView bytes) {
  if (bytes.size() < 4) return std::nullopt;
  const std::string_view magic = as_chars(bytes.first(4));
  if (magic == kMagic) return GroupTopicMessage::kSyncMessage;
  if (magic == kRecordMagic) return GroupTopicMessage::kAccountRecord;
  return std::nullopt;
}

}  // namespace keylink::sync
