// The installation list: which devices belong to the account, versioned, each version signed by the
// account's XMTP identity key (secp256k1) and chained to the version(s) before it.
//
// Versions form a chain, and a DAG where two devices appended at once (a fork): version 1 has no
// parent, an append or removal has one (the hash of the version it was made from), a merge has two or
// more (sorted). The contents only grow: an installation, once listed, stays listed, and its status
// only goes enabled → removed. That makes the contents a join semilattice, and merge() its join, so
// every device that has seen the same versions holds the same contents, whatever the order.
//
// Rules (judge_list), for a candidate already decoded, against the version this device holds:
//   1. not signed by the identity key                      → kBadSignature, refused
//   2. the same version bytes                              → kUnchanged
//   3. newer, and (when it is the next version) chained to ours, and it keeps all we have
//                                                          → kAccept: it replaces ours
//   4. older or as old, and it adds nothing we lack        → kRollback, refused ("version 3 after 5")
//   5. anything else (same version other contents; the next version not chained to ours; a newer
//      or older one that lacks or adds something)          → kMerge: call merge(), store and publish it
// merge(a, b) is deterministic and symmetric: version max(a, b) + 1, parents the two hashes sorted,
// installations the union (by id; removed beats enabled; the smaller removed_at_version; identical
// other fields expected, else the one whose encoding sorts greater). Two devices that notice the same
// fork sign the same bytes (RFC 6979 signatures are deterministic), so they agree.
//
// Whoever holds the identity key can sign a list: that includes a removed device (XMTP v2 cannot take
// the identity key back). It cannot re-enable itself (removed beats enabled) but it could list a new
// installation; see docs/sync.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "keylink/base/bytes.h"
#include "keylink/base/result.h"
#include "keylink/crypto/hash.h"
#include "keylink/crypto/secp256k1.h"
#include "keylink/sync/installation.h"

namespace keylink::sync {

inline constexpr std::size_t kMaxInstallations = 256;
inline constexpr std::size_t kMaxListParents = 8;
inline constexpr std::size_t kMaxInstallationListSize = 64 * 1024;

struct InstallationList {
  std::uint64_t version = 0;                // 1 for the first
  std::vector<crypto::Digest32> parents;    // sorted; empty only for version 1
  std::vector<Installation> installations;  // sorted by id, ids unique
  crypto::RecoverableSignature signature;   // identity key over signed_digest()

  // sha256 over a label and everything but the signature: what a child names as its parent.
  crypto::Digest32 hash() const;
  const Installation* find(const InstallationId& id) const;
  std::size_t enabled_count() const;
};

// Version 1, with the first device. REQUIRES: record verified.
InstallationList make_first_list(const Installation& first, const crypto::Secp256k1PrivateKey& identity_key);
// The next version with the record's installation added (step 5 of linking). Fails with kTooLarge at
// kMaxInstallations, kMalformed when the id is already listed (removed ids cannot come back).
// REQUIRES: record verified (verify_installation_record).
Result<InstallationList> append_installation(const InstallationList& current, const InstallationRecord& record,
                                             const crypto::Secp256k1PrivateKey& identity_key);
// The next version with `id` removed. Fails with kMalformed when it is not listed enabled.
Result<InstallationList> remove_installation(const InstallationList& current, const InstallationId& id,
                                             const crypto::Secp256k1PrivateKey& identity_key);

// Fails with kBadSignature when not signed by identity_public_key.
Result<void> verify_list(const InstallationList& list, const crypto::Secp256k1PublicKey& identity_public_key);

enum class ListVerdict { kUnchanged, kAccept, kMerge };
// The rules above. Fails with kBadSignature or kRollback (the message says which versions).
Result<ListVerdict> judge_list(const InstallationList& current, const InstallationList& candidate,
                               const crypto::Secp256k1PublicKey& identity_public_key);
// The join of two lists. REQUIRES: both verified. Fails with kTooLarge when the union passes
// kMaxInstallations.
Result<InstallationList> merge(const InstallationList& a, const InstallationList& b,
                               const crypto::Secp256k1PrivateKey& identity_key);

// judge_list then, for kMerge, merge: the list to keep and whether it is new and must be published.
struct ListUpdate {
  InstallationList list;
  bool publish = false;  // a merge this device made: send it to the other devices
};
Result<std::optional<ListUpdate>> update_list(const InstallationList& current, const InstallationList& candidate,
                                              const crypto::Secp256k1PrivateKey& identity_key);

// How a device that shows up under the identity is to be shown and trusted.
enum class InstallationClass { kThisDevice, kEnabled, kRemoved, kGhost };
// kGhost: not in the signed list (never trusted); kRemoved: listed removed (this device too, if so).
InstallationClass classify(const InstallationList& list, const InstallationId& self, const InstallationId& id);

Bytes encode(const InstallationList& list);
// Total: checks sizes, order and uniqueness, statuses, parents; not the signature (judge_list does).
Result<InstallationList> decode_installation_list(ByteView bytes);

}  // namespace keylink::sync
