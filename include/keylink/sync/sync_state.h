// The account state one device holds: a state-based CRDT over Change registers.
//
// Merge rules, per register (kind, key):
//   - last writer wins: the change with the greater Stamp (clock, then installation id) is kept;
//   - read markers: the greater number is kept whatever the stamps (they only move forward), and the
//     greater stamp with it;
//   - the same stamp twice with other contents (only a broken or hostile device does that): the one
//     whose encoding sorts greater, so that every device still picks the same.
// Contacts are a set with tombstones: removing a contact writes presence 0, which wins over an older
// add and loses to a newer one; consent and name are registers of their own.
// Applying is idempotent, commutative and associative, so devices that applied the same changes in any
// order, with duplicates, hold byte-equal encode() output.
//
// Lamport clock: apply_local stamps clock + 1; apply (remote) advances the clock to at least the
// change's. Thread-compatible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "keylink/base/bytes.h"
#include "keylink/base/result.h"
#include "keylink/sync/change.h"
#include "keylink/sync/installation.h"

namespace keylink::sync {

inline constexpr std::size_t kMaxRegisters = 1 << 20;
inline constexpr std::size_t kMaxSyncStateSize = 256 * 1024 * 1024;

struct ContactState {
  std::string address;
  Consent consent = Consent::kUnknown;
  std::string name;
};

struct ConversationState {
  bool archived = false;
  bool muted = false;
  std::uint64_t read_up_to_ns = 0;
};

class SyncState {
 public:
  explicit SyncState(const InstallationId& self) : self_(self) {}

  // Stamps the change (clock + 1, this installation) and applies it; returns it stamped, to be sent.
  // Fails with kTooLarge / kMalformed (validate()) or kTooLarge past kMaxRegisters.
  Result<Change> apply_local(Change change);
  // Merges a change from another device (or an echo of ours). Returns whether the state changed.
  // Fails as validate() does, and with kTooLarge past kMaxRegisters (a new register only).
  Result<bool> apply(const Change& change);

  std::uint64_t clock() const noexcept { return clock_; }
  const InstallationId& self() const noexcept { return self_; }
  std::size_t size() const noexcept { return registers_.size(); }

  // Queries. contacts(): present ones, by address.
  std::vector<ContactState> contacts() const;
  std::optional<ContactState> contact(std::string_view address) const;
  ConversationState conversation(std::string_view topic) const;
  std::optional<std::string> setting(std::string_view name) const;
  std::optional<std::string> device_name(const InstallationId& id) const;
  // Every register's winning change, for a full-state exchange (a device that was offline long, or
  // a new device: the link layer may carry encode() instead).
  std::vector<Change> snapshot() const;

  // For storage: the clock and every register, in order; equal states give equal bytes. The
  // installation id is not in it (it is the same on every device that converged).
  Bytes encode() const;
  // Total. Fails with kMalformed / kTooLarge.
  static Result<SyncState> decode(ByteView bytes, const InstallationId& self);

 private:
  using RegisterKey = std::pair<RecordKind, std::string>;
  const Change* find(RecordKind kind, std::string_view key) const;

  InstallationId self_;
  std::uint64_t clock_ = 0;
  std::map<RegisterKey, Change> registers_;
};

}  // namespace keylink::sync
