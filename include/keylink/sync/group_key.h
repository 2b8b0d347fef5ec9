// The device-group key: 32 random bytes and an epoch. Sync messages are sealed with it and travel on a
// topic derived from it; removing a device rotates it (epoch + 1) and seals the new key to each
// remaining installation's X25519 key, so the removed device opens nothing sealed afterwards.
//
// Two devices may rotate at once (each removed someone): two keys share an epoch. Keys are therefore
// named by (epoch, key id); a GroupKeyRing keeps every key it was given, opens with any of them and
// sends with the greatest (epoch, key id), so concurrent rotations converge on one sending key.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "keylink/base/bytes.h"
#include "keylink/base/result.h"
#include "keylink/base/rng.h"
#include "keylink/base/secret.h"
#include "keylink/crypto/hash.h"
#include "keylink/crypto/x25519.h"
#include "keylink/sync/installation.h"
#include "keylink/sync/installation_list.h"

namespace keylink::sync {

using GroupKeyId = std::array<std::uint8_t, 8>;

// Move-only (a secret). The runtime stores it only sealed (Vault).
class GroupKey {
 public:
  static GroupKey generate(std::uint64_t epoch, Rng& rng);
  GroupKey(std::uint64_t epoch, Secret<32> key);

  std::uint64_t epoch() const noexcept { return epoch_; }
  const Secret<32>& key() const noexcept { return key_; }
  // The first 8 bytes of sha256(label ‖ key): names the key in message headers, reveals nothing.
  const GroupKeyId& id() const noexcept { return id_; }
  // The relay topic: lowercase hex of sha256("keylink-sync-topic-v1" ‖ key).
  std::string topic() const;
  GroupKey clone() const { return GroupKey(epoch_, key_.clone()); }

 private:
  std::uint64_t epoch_;
  Secret<32> key_;
  GroupKeyId id_;
};

// The keys this device holds. Thread-compatible.
class GroupKeyRing {
 public:
  static constexpr std::size_t kMaxKeys = 64;  // older keys are dropped first (by epoch)

  void add(GroupKey key);
  const GroupKey* find(std::uint64_t epoch, const GroupKeyId& id) const;
  // The key to seal with: the greatest (epoch, id). REQUIRES: !empty().
  const GroupKey& current() const;
  bool empty() const noexcept { return keys_.empty(); }
  // Every topic to listen on (an offline device catches up on old epochs from its mailbox).
  std::vector<std::string> topics() const;
  const std::vector<GroupKey>& keys() const noexcept { return keys_; }

 private:
  std::vector<GroupKey> keys_;  // sorted by (epoch, id)
};

// The ring as secret bytes: for the runtime to store (sealed by its Vault) and for the link layer to
// carry to a new device inside its encrypted channel (step 4, "light"). Format: u16 n, then n × (u64
// epoch ‖ key(32)). decode is total; it fails with kMalformed / kTooLarge (more than kMaxKeys).
SecretBytes encode(const GroupKeyRing& ring);
Result<GroupKeyRing> decode_group_key_ring(ByteView bytes);

inline constexpr std::size_t kMaxKeyRotationSize = 64 * 1024;

// A new group key sealed to each enabled installation of a list (except the sender, which keeps it),
// signed by the sender installation. Carries the list version it was made for, so a device knows
// which removal it answers.
struct KeyRotation {
  struct Sealed {
    InstallationId recipient{};
    crypto::X25519PublicKey ephemeral{};
    Bytes sealed;  // ChaCha20-Poly1305 of the 32-byte key, 48 bytes
  };
  std::uint64_t epoch = 0;
  GroupKeyId key_id{};
  std::uint64_t list_version = 0;
  InstallationId sender{};
  std::vector<Sealed> keys;  // sorted by recipient
  crypto::Ed25519Signature signature{};
};

// A new key at epoch ring.current().epoch() + 1 (or 1 for an empty ring) for the enabled
// installations of `list`. The caller adds the returned key to its own ring.
struct RotationResult {
  GroupKey key;
  KeyRotation rotation;
};
Result<RotationResult> rotate_group_key(const GroupKeyRing& ring, const InstallationList& list,
                                        const InstallationKeys& sender, Rng& rng);
// Fails with kNotEnabled (sender not enabled in `list`), kBadSignature, kNotForUs (nothing sealed to
// `self`: this device was left out, i.e. removed), kDecryptFailed.
Result<GroupKey> open_rotation(const KeyRotation& rotation, const InstallationList& list, const InstallationKeys& self);

Bytes encode(const KeyRotation& rotation);
Result<KeyRotation> decode_key_rotation(ByteView bytes);

}  // namespace keylink::sync
