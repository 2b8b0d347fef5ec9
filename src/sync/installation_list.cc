#include "keylink/sync/installation_list.h"

#include <algorithm>
#include <string>

#include "keylink/sync/errors.h"
#include "sync/installation_codec.h"

namespace keylink::sync {
namespace {

constexpr std::string_view kMagic = "KLL1";
constexpr std::string_view kSignLabel = "keylink-sync-installation-list-v1";
constexpr std::string_view kHashLabel = "keylink-sync-installation-list-hash-v1";

Bytes body(const InstallationList& list) {
  codec::Writer w;
  w.raw(as_bytes(kMagic));
  w.u64(list.version);
  w.u8(static_cast<std::uint8_t>(list.parents.size()));
  for (const auto& parent : list.parents) w.raw(parent);
  w.u16(static_cast<std::uint16_t>(list.installations.size()));
  for (const auto& installation : list.installations) write_installation(w, installation);
  return w.take();
}

crypto::Digest32 signed_digest(const InstallationList& list) {
  return crypto::sha256({as_bytes(kSignLabel), body(list)});
}

void sign(InstallationList& list, const crypto::Secp256k1PrivateKey& identity_key) {
  list.signature = identity_key.sign_recoverable(signed_digest(list));
}

bool by_id(const Installation& a, const Installation& b) { return a.id < b.id; }

Bytes installation_bytes(const Installation& installation) {
  codec::Writer w;
  write_installation(w, installation);
  return w.take();
}

// The join of two entries for one id: removed beats enabled, the earlier removal wins; two entries
// that differ otherwise (only a device holding the identity key can sign that) resolve by encoding.
Installation join(const Installation& a, const Installation& b) {
  const bool a_removed = a.status == InstallationStatus::kRemoved;
  const bool b_removed = b.status == InstallationStatus::kRemoved;
  Installation base = installation_bytes(a) >= installation_bytes(b) ? a : b;
  if (a_removed || b_removed) {
    base.status = InstallationStatus::kRemoved;
    std::uint64_t removed = 0;
    for (const Installation* x : {&a, &b}) {
      if (x->status == InstallationStatus::kRemoved && (removed == 0 || x->removed_at_version < removed))
        removed = x->removed_at_version;
    }
    base.removed_at_version = removed;
  }
  return base;
}

// a ⊑ b: every installation of a is in b, as removed as it is in a.
bool covered_by(const InstallationList& a, const InstallationList& b) {
  for (const auto& x : a.installations) {
    const Installation* y = b.find(x.id);
    if (y == nullptr) return false;
    if (!(join(x, *y) == *y)) return false;
  }
  return true;
}

InstallationList next_version(const InstallationList& current) {
  InstallationList next;
  next.version = current.version + 1;
  next.parents = {current.hash()};
  next.installations = current.installations;
  return next;
}

std::string v(std::uint64_t version) { return "version " + std::to_string(version); }

}  // namespace

crypto::Digest32 InstallationList::hash() const { return crypto::sha256({as_bytes(kHashLabel), body(*this)}); }

const Installation* InstallationList::find(const InstallationId& id) const {
  auto it = std::lower_bound(installations.begin(), installations.end(), id,
                             [](const Installation& a, const InstallationId& key) { return a.id < key; });
  return it != installations.end() && it->id == id ? &*it : nullptr;
}

std::size_t InstallationList::enabled_count() const {
  return static_cast<std::size_t>(std::count_if(installations.begin(), installations.end(), [](const auto& x) {
    return x.status == InstallationStatus::kEnabled;
  }));
}

InstallationList make_first_list(const Installation& first, const crypto::Secp256k1PrivateKey& identity_key) {
  InstallationList list;
  list.version = 1;
  list.installations = {first};
  list.installations[0].status = InstallationStatus::kEnabled;
  list.installations[0].removed_at_version = 0;
  sign(list, identity_key);
  return list;
}

Result<InstallationList> append_installation(const InstallationList& current, const InstallationRecord& record,
                                             const crypto::Secp256k1PrivateKey& identity_key) {
  if (current.find(record.installation.id) != nullptr)
    return fail(Errc::kMalformed, "installation already listed (a removed device cannot come back)");
  if (current.installations.size() >= kMaxInstallations)
    return fail(Errc::kTooLarge, "the account already lists 256 installations");
  InstallationList next = next_version(current);
  auto at = std::upper_bound(next.installations.begin(), next.installations.end(), record.installation, by_id);
  next.installations.insert(at, record.installation);
  sign(next, identity_key);
  return next;
}

Result<InstallationList> remove_installation(const InstallationList& current, const InstallationId& id,
                                             const crypto::Secp256k1PrivateKey& identity_key) {
  const Installation* listed = current.find(id);
  if (listed == nullptr || listed->status != InstallationStatus::kEnabled)
    return fail(Errc::kMalformed, "no enabled installation with that id");
  if (current.enabled_count() == 1) return fail(Errc::kMalformed, "cannot remove the last enabled installation");
  InstallationList next = next_version(current);
  for (auto& installation : next.installations) {
    if (installation.id != id) continue;
    installation.status = InstallationStatus::kRemoved;
    installation.removed_at_version = next.version;
  }
  sign(next, identity_key);
  return next;
}

Result<void> verify_list(const InstallationList& list, const crypto::Secp256k1PublicKey& identity_public_key) {
  if (!crypto::secp256k1_verify(identity_public_key, signed_digest(list), list.signature.compact))
    return fail(Errc::kBadSignature,
                "installation list " + v(list.version) + ": not signed by the account's identity key");
  return {};
}

Result<ListVerdict> judge_list(const InstallationList& current, const InstallationList& candidate,
                               const crypto::Secp256k1PublicKey& identity_public_key) {
  if (auto verified = verify_list(candidate, identity_public_key); !verified) return tl::unexpected(verified.error());
  if (candidate.hash() == current.hash()) return ListVerdict::kUnchanged;
  const bool keeps_ours = covered_by(current, candidate);
  const bool adds_nothing = covered_by(candidate, current);
  if (candidate.version > current.version) {
    const bool next = candidate.version == current.version + 1;
    const crypto::Digest32 ours = current.hash();
    const bool chained = std::find(candidate.parents.begin(), candidate.parents.end(), ours) != candidate.parents.end();
    if (keeps_ours && (!next || chained)) return ListVerdict::kAccept;
    return ListVerdict::kMerge;
  }
  if (adds_nothing) {
    return fail(Errc::kRollback, "installation list " + v(candidate.version) + " received after " + v(current.version) +
                                     " and adds nothing: a rollback, refused");
  }
  return ListVerdict::kMerge;
}

Result<InstallationList> merge(const InstallationList& a, const InstallationList& b,
                               const crypto::Secp256k1PrivateKey& identity_key) {
  InstallationList merged;
  merged.version = std::max(a.version, b.version) + 1;
  merged.parents = {a.hash(), b.hash()};
  std::sort(merged.parents.begin(), merged.parents.end());
  merged.parents.erase(std::unique(merged.parents.begin(), merged.parents.end()), merged.parents.end());
  // Both inputs are sorted by id: a merge walk.
  auto x = a.installations.begin(), y = b.installations.begin();
  while (x != a.installations.end() || y != b.installations.end()) {
    if (y == b.installations.end() || (x != a.installations.end() && x->id < y->id)) {
      merged.installations.push_back(*x++);
    } else if (x == a.installations.end() || y->id < x->id) {
      merged.installations.push_back(*y++);
    } else {
      merged.installations.push_back(join(*x++, *y++));
    }
  }
  if (merged.installations.size() > kMaxInstallations)
    return fail(Errc::kTooLarge, "merged installation list would pass 256 installations");
  sign(merged, identity_key);
  return merged;
}

Result<std::optional<ListUpdate>> update_list(const InstallationList& current, const InstallationList& candidate,
                                              const crypto::Secp256k1PrivateKey& identity_key) {
  auto verdict = judge_list(current, candidate, identity_key.public_key());
  if (!verdict) return tl::unexpected(verdict.error());
  switch (*verdict) {
    case ListVerdict::kUnchanged: return std::optional<ListUpdate>();
    case ListVerdict::kAccept: return std::optional<ListUpdate>(ListUpdate{candidate, false});
    case ListVerdict::kMerge: break;
  }
  auto merged = merge(current, candidate, identity_key);
  if (!merged) return tl::unexpected(merged.error());
  return std::optional<ListUpdate>(ListUpdate{std::move(*merged), true});
}

InstallationClass classify(const InstallationList& list, const InstallationId& self, const InstallationId& id) {
  const Installation* listed = list.find(id);
  if (listed == nullptr) return InstallationClass::kGhost;
  if (listed->status == InstallationStatus::kRemoved) return InstallationClass::kRemoved;
  return id == self ? InstallationClass::kThisDevice : InstallationClass::kEnabled;
}

Bytes encode(const InstallationList& list) {
  codec::Writer w;
  w.raw(body(list));
  write_signature(w, list.signature);
  return w.take();
}

Result<InstallationList> decode_installation_list(ByteView bytes) {
  if (bytes.size() > kMaxInstallationListSize) return fail(Errc::kTooLarge, "installation list longer than 64 KiB");
  codec::Reader r(bytes);
  if (!r.ok() || as_chars(r.take(kMagic.size())) != kMagic) return fail(Errc::kMalformed, "not an installation list");
  InstallationList list;
  list.version = r.u64();
  const std::size_t parent_count = r.u8();
  if (parent_count > kMaxListParents) return fail(Errc::kTooLarge, "installation list: more than 8 parents");
  for (std::size_t i = 0; i < parent_count && r.ok(); ++i) list.parents.push_back(r.array<32>());
  const std::size_t count = r.u16();
  if (count > kMaxInstallations) return fail(Errc::kTooLarge, "installation list: more than 256 installations");
  for (std::size_t i = 0; i < count && r.ok(); ++i) list.installations.push_back(read_installation(r));
  list.signature = read_signature(r);
  if (!r.at_end()) return fail(Errc::kMalformed, "installation list: truncated, trailing bytes or bad field");
  if (list.version == 0) return fail(Errc::kMalformed, "installation list: version 0");
  if ((list.version == 1) != list.parents.empty())
    return fail(Errc::kMalformed, "installation list: version 1 has no parent, every later one has one");
  if (!std::is_sorted(list.parents.begin(), list.parents.end()) ||
      std::adjacent_find(list.parents.begin(), list.parents.end()) != list.parents.end())
    return fail(Errc::kMalformed, "installation list: parents not sorted and unique");
  for (std::size_t i = 0; i < list.installations.size(); ++i) {
    const auto& installation = list.installations[i];
    if (i > 0 && !(list.installations[i - 1].id < installation.id))
      return fail(Errc::kMalformed, "installation list: ids not sorted and unique");
    if (installation.removed_at_version > list.version)
      return fail(Errc::kMalformed, "installation list: removed at a later version than its own");
  }
  return list;
}

}  // namespace keylink::sync
