// This home as a device of its account (DESIGN.md "Device linking", "Sync between linked devices"): its
// installation keys, the signed installation list it holds, the device-group keys, the account state it
// shares with the other devices, and the one-time code it shows while a new device is linked. In the
// home database:
//   device_self(id = 1, sealed_keys BLOB)      -- Ed25519 seed ‖ X25519 private key, sealed
//   device_list(id = 1, list BLOB)             -- sync::encode(InstallationList), signed by the identity
//   device_group_keys(id = 1, sealed_ring BLOB)  -- sync::encode(GroupKeyRing), sealed
//   device_state(id = 1, state BLOB)           -- sync::SyncState::encode()
//   device_link_code(id = 1, sealed_digits BLOB, made_at_ms INTEGER, used INTEGER)
//   device_seen(id BLOB PRIMARY KEY, last_seen_ms INTEGER, ghost INTEGER)  -- who wrote to the group topic
//   device_published(id = 1, list_version INTEGER, heartbeat_ms INTEGER)   -- what this device told the others
//   device_read(digest BLOB PRIMARY KEY)       -- sha256 of each group-topic message read (a read starts at
//                                              -- the millisecond of the last one, which it must skip)
// Secrets are sealed by the home's Vault under labels that name their row. Writes go in the caller's
// transaction when one is open (a link commits the account, the keys and the list at once).
//
// Thread-compatible, on the thread of its Database. REQUIRES: db and vault outlive the store.
#pragma once

#include <map>
#include <optional>

#include "keylink/base/result.h"
#include "keylink/base/rng.h"
#include "keylink/crypto/hash.h"
#include "keylink/link/one_time_code.h"
#include "keylink/store/database.h"
#include "keylink/store/vault.h"
#include "keylink/sync/group_key.h"
#include "keylink/sync/installation.h"
#include "keylink/sync/installation_list.h"
#include "keylink/sync/sync_state.h"

namespace keylink::runtime {

class DeviceStore {
 public:
  // Creates the tables when missing.
  static Result<DeviceStore> open(store::Database& db, const store::Vault& vault);

  // This device's installation keys; nullopt before it is a device of an account.
  Result<std::optional<sync::InstallationKeys>> keys() const;
  Result<void> save_keys(const sync::InstallationKeys& keys, Rng& rng);

  // The newest installation list this device accepted (decoded; its signature was checked then).
  Result<std::optional<sync::InstallationList>> list() const;
  Result<void> save_list(const sync::InstallationList& list);

  // Every device-group key this device holds (empty before it is a device).
  Result<sync::GroupKeyRing> group_keys() const;
  Result<void> save_group_keys(const sync::GroupKeyRing& ring, Rng& rng);

  // The account state; empty (clock 0) before the first change.
  Result<sync::SyncState> state(const sync::InstallationId& self) const;
  Result<void> save_state(const sync::SyncState& state);

  // When a device last wrote to the group topic (the time its newest message there carries, unix ms); a
  // ghost is one that signed there without being in the list.
  struct Seen {
    std::int64_t last_seen_ms = 0;
    bool ghost = false;
  };
  Result<std::map<sync::InstallationId, Seen>> seen() const;
  // Keeps the later time; a ghost stays one.
  Result<void> record_seen(const sync::InstallationId& id, std::int64_t at_ms, bool ghost);

  // Records that the group-topic message with this digest was read; false when it was already.
  Result<bool> first_read(const crypto::Digest32& digest);

  // The newest list version this device published, and when it last wrote to the group topic.
  struct Published {
    std::uint64_t list_version = 0;
    std::int64_t heartbeat_ms = 0;
  };
  Result<Published> published() const;
  Result<void> save_published(const Published& published);

  // The code this device shows while it links a new one; nullopt when it never made one.
  Result<std::optional<link::OneTimeCode>> code() const;
  // Replaces the code (a new one, or the same one burnt).
  Result<void> save_code(const link::OneTimeCode& code, Rng& rng);

 private:
  DeviceStore(store::Database& db, const store::Vault& vault) : db_(&db), vault_(&vault) {}
  store::Database* db_;
  const store::Vault* vault_;
};

}  // namespace keylink::runtime
