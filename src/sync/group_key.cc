#include "keylink/sync/group_key.h"

#include <algorithm>

#include "keylink/base/encoding.h"
#include "keylink/crypto/aead.h"
#include "keylink/sync/errors.h"
#include "sync/codec.h"

namespace keylink::sync {
namespace {

constexpr std::string_view kTopicLabel = "keylink-sync-topic-v1";
constexpr std::string_view kKeyIdLabel = "keylink-sync-key-id-v1";
constexpr std::string_view kSealLabel = "keylink-sync-key-seal-v1";
constexpr std::string_view kRotationLabel = "keylink-sync-key-rotation-v1";
constexpr std::string_view kMagic = "KLR1";
constexpr std::size_t kSealedKeySize = 32 + crypto::kAeadTagSize;

bool key_less(const GroupKey& a, const GroupKey& b) {
  return a.epoch() != b.epoch() ? a.epoch() < b.epoch() : a.id() < b.id();
}

// What binds a sealed key to its rotation and recipient: the AEAD's associated data.
Bytes seal_aad(const KeyRotation& rotation, const InstallationId& recipient) {
  codec::Writer w;
  w.raw(as_bytes(kSealLabel));
  w.u64(rotation.epoch);
  w.raw(rotation.key_id);
  w.raw(rotation.sender);
  w.raw(recipient);
  return w.take();
}

// A fresh ephemeral key per recipient, so each seal key is used once and a zero nonce is safe.
Secret<32> seal_key(const Secret<32>& shared, const crypto::X25519PublicKey& ephemeral,
                    const crypto::X25519PublicKey& recipient) {
  return crypto::hkdf_sha256_32(shared.expose(), concat(ephemeral, recipient), as_bytes(kSealLabel));
}

Bytes rotation_body(const KeyRotation& rotation) {
  codec::Writer w;
  w.raw(as_bytes(kMagic));
  w.u64(rotation.epoch);
  w.raw(rotation.key_id);
  w.u64(rotation.list_version);
  w.raw(rotation.sender);
  w.u16(static_cast<std::uint16_t>(rotation.keys.size()));
  for (const auto& sealed : rotation.keys) {
    w.raw(sealed.recipient);
    w.raw(sealed.ephemeral);
    w.raw(sealed.sealed);
  }
  return w.take();
}

Bytes rotation_signed_bytes(const KeyRotation& rotation) {
  return concat(as_bytes(kRotationLabel), rotation_body(rotation));
}

}  // namespace

GroupKey::GroupKey(std::uint64_t epoch, Secret<32> key) : epoch_(epoch), key_(std::move(key)) {
  const crypto::Digest32 digest = crypto::sha256({as_bytes(kKeyIdLabel), key_.expose()});
  std::copy_n(digest.begin(), id_.size(), id_.begin());
}

GroupKey GroupKey::generate(std::uint64_t epoch, Rng& rng) {
  Secret<32> key;
  rng.fill(key.expose_mutable());
  return GroupKey(epoch, std::move(key));
}

std::string GroupKey::topic() const { return to_hex(crypto::sha256({as_bytes(kTopicLabel), key_.expose()})); }

void GroupKeyRing::add(GroupKey key) {
  if (find(key.epoch(), key.id()) != nullptr) return;
  auto at = std::upper_bound(keys_.begin(), keys_.end(), key, key_less);
  keys_.insert(at, std::move(key));
  if (keys_.size() > kMaxKeys) keys_.erase(keys_.begin());
}

const GroupKey* GroupKeyRing::find(std::uint64_t epoch, const GroupKeyId& id) const {
  for (const auto& key : keys_) {
    if (key.epoch() == epoch && key.id() == id) return &key;
  }
  return nullptr;
}

const GroupKey& GroupKeyRing::current() const {
  KEYLINK_CHECK(!keys_.empty());
  return keys_.back();
}

std::vector<std::string> GroupKeyRing::topics() const {
  std::vector<std::string> out;
  for (const auto& key : keys_) out.push_back(key.topic());
  return out;
}

SecretBytes encode(const GroupKeyRing& ring) {
  SecretBytes out(2 + ring.keys().size() * 40);
  std::span<std::uint8_t> bytes = out.expose_mutable();
  bytes[0] = static_cast<std::uint8_t>(ring.keys().size() >> 8);
  bytes[1] = static_cast<std::uint8_t>(ring.keys().size());
  std::size_t at = 2;
  for (const auto& key : ring.keys()) {
    for (int shift = 56; shift >= 0; shift -= 8) bytes[at++] = static_cast<std::uint8_t>(key.epoch() >> shift);
    std::copy(key.key().expose().begin(), key.key().expose().end(), bytes.begin() + static_cast<std::ptrdiff_t>(at));
    at += 32;
  }
  return out;
}

Result<GroupKeyRing> decode_group_key_ring(ByteView bytes) {
  codec::Reader r(bytes);
  const std::size_t count = r.u16();
  if (count > GroupKeyRing::kMaxKeys) return fail(Errc::kTooLarge, "group key ring: more than 64 keys");
  GroupKeyRing ring;
  for (std::size_t i = 0; i < count && r.ok(); ++i) {
    const std::uint64_t epoch = r.u64();
    ByteView key = r.take(32);
    if (!r.ok()) break;
    if (epoch == 0) return fail(Errc::kMalformed, "group key ring: epoch 0");
    ring.add(GroupKey(epoch, Secret<32>(key)));
  }
  if (!r.at_end()) return fail(Errc::kMalformed, "group key ring: truncated or trailing bytes");
  return ring;
}

Result<RotationResult> rotate_group_key(const GroupKeyRing& ring, const InstallationList& list,
                                        const InstallationKeys& sender, Rng& rng) {
  const Installation* self = list.find(sender.id());
  if (self == nullptr || self->status != InstallationStatus::kEnabled)
    return fail(Errc::kNotEnabled, "this installation is not enabled in the list; it cannot rotate the key");
  GroupKey key = GroupKey::generate(ring.empty() ? 1 : ring.current().epoch() + 1, rng);
  KeyRotation rotation;
  rotation.epoch = key.epoch();
  rotation.key_id = key.id();
  rotation.list_version = list.version;
  rotation.sender = sender.id();
  for (const auto& installation : list.installations) {  // sorted by id, so keys are too
    if (installation.status != InstallationStatus::kEnabled || installation.id == sender.id()) continue;
    auto ephemeral = crypto::X25519KeyPair::generate(rng);
    auto shared = crypto::x25519(ephemeral.private_key, installation.seal_key);
    if (!shared) return tl::unexpected(context("sealing the group key to an installation", shared.error()));
    const Secret<32> k = seal_key(*shared, ephemeral.public_key, installation.seal_key);
    Bytes sealed =
        crypto::chacha20poly1305_seal(k, crypto::AeadNonce{}, key.key().expose(), seal_aad(rotation, installation.id));
    rotation.keys.push_back({installation.id, ephemeral.public_key, std::move(sealed)});
  }
  rotation.signature = sender.signing.sign(rotation_signed_bytes(rotation));
  return RotationResult{std::move(key), std::move(rotation)};
}

Result<GroupKey> open_rotation(const KeyRotation& rotation, const InstallationList& list,
                               const InstallationKeys& self) {
  const Installation* sender = list.find(rotation.sender);
  if (sender == nullptr || sender->status != InstallationStatus::kEnabled)
    return fail(Errc::kNotEnabled, "key rotation from an installation that is not enabled in the list");
  if (!crypto::ed25519_verify(rotation.sender, rotation_signed_bytes(rotation), rotation.signature))
    return fail(Errc::kBadSignature, "key rotation: not signed by the installation it names");
  auto mine = std::find_if(rotation.keys.begin(), rotation.keys.end(),
                           [&](const KeyRotation::Sealed& s) { return s.recipient == self.id(); });
  if (mine == rotation.keys.end())
    return fail(Errc::kNotForUs, "key rotation seals nothing to this installation (it was removed)");
  auto shared = crypto::x25519(self.sealing.private_key, mine->ephemeral);
  if (!shared) return fail(Errc::kDecryptFailed, "key rotation: a weak ephemeral key");
  const Secret<32> k = seal_key(*shared, mine->ephemeral, self.sealing.public_key);
  auto opened = crypto::chacha20poly1305_open(k, crypto::AeadNonce{}, mine->sealed, seal_aad(rotation, self.id()));
  if (!opened) return fail(Errc::kDecryptFailed, "key rotation: the sealed key does not open");
  Secret<32> key_bytes{ByteView(*opened)};
  secure_wipe(opened->data(), opened->size());
  GroupKey key(rotation.epoch, std::move(key_bytes));
  if (key.id() != rotation.key_id) return fail(Errc::kDecryptFailed, "key rotation: the key does not match its id");
  return key;
}

Bytes encode(const KeyRotation& rotation) { return concat(rotation_body(rotation), rotation.signature); }

Result<KeyRotation> decode_key_rotation(ByteView bytes) {
  if (bytes.size() > kMaxKeyRotationSize) return fail(Errc::kTooLarge, "key rotation longer than 64 KiB");
  codec::Reader r(bytes);
  if (as_chars(r.take(kMagic.size())) != kMagic) return fail(Errc::kMalformed, "not a key rotation");
  KeyRotation rotation;
  rotation.epoch = r.u64();
  rotation.key_id = r.array<8>();
  rotation.list_version = r.u64();
  rotation.sender = r.array<32>();
  const std::size_t count = r.u16();
  if (count > kMaxInstallations) return fail(Errc::kTooLarge, "key rotation: more than 256 recipients");
  for (std::size_t i = 0; i < count && r.ok(); ++i) {
    KeyRotation::Sealed sealed;
    sealed.recipient = r.array<32>();
    sealed.ephemeral = r.array<32>();
    ByteView s = r.take(kSealedKeySize);
    sealed.sealed.assign(s.begin(), s.end());
    if (!rotation.keys.empty() && !(rotation.keys.back().recipient < sealed.recipient)) r.fail();
    rotation.keys.push_back(std::move(sealed));
  }
  rotation.signature = r.array<64>();
  if (!r.at_end()) return fail(Errc::kMalformed, "key rotation: truncated, trailing bytes or recipients out of order");
  if (rotation.epoch == 0) return fail(Errc::kMalformed, "key rotation: epoch 0");
  return rotation;
}

}  // namespace keylink::sync
