#include "keylink/sync/sync_state.h"

#include <algorithm>

#include "keylink/base/encoding.h"
#include "keylink/sync/errors.h"
#include "sync/change_codec.h"

namespace keylink::sync {
namespace {

constexpr std::string_view kMagic = "KLST";

Bytes change_bytes(const Change& change) {
  codec::Writer w;
  write_change(w, change);
  return w.take();
}

// The join of two values of one register (see the header): a total order for last-writer-wins, a
// component-wise max for read markers. Either way commutative, associative and idempotent.
Change join(const Change& held, const Change& incoming) {
  if (held.kind == RecordKind::kReadMarker) {
    Change out = held;
    out.number = std::max(held.number, incoming.number);
    out.stamp = std::max(held.stamp, incoming.stamp);
    return out;
  }
  if (incoming.stamp != held.stamp) return incoming.stamp > held.stamp ? incoming : held;
  return change_bytes(incoming) > change_bytes(held) ? incoming : held;
}

}  // namespace

Result<Change> SyncState::apply_local(Change change) {
  if (auto valid = validate(change); !valid) return tl::unexpected(valid.error());
  if (clock_ >= kMaxClock) return fail(Errc::kTooLarge, "Lamport clock exhausted");
  change.stamp = Stamp{clock_ + 1, self_};
  auto applied = apply(change);
  if (!applied) return tl::unexpected(applied.error());
  return change;
}

Result<bool> SyncState::apply(const Change& change) {
  if (auto valid = validate_stamped(change); !valid) return tl::unexpected(valid.error());
  RegisterKey key{change.kind, change.key};
  auto it = registers_.find(key);
  if (it == registers_.end()) {
    if (registers_.size() >= kMaxRegisters) return fail(Errc::kTooLarge, "account state holds 2^20 records already");
    registers_.emplace(std::move(key), change);
    clock_ = std::max(clock_, change.stamp.clock);
    return true;
  }
  Change joined = join(it->second, change);
  clock_ = std::max(clock_, change.stamp.clock);
  if (joined == it->second) return false;
  it->second = std::move(joined);
  return true;
}

const Change* SyncState::find(RecordKind kind, std::string_view key) const {
  auto it = registers_.find(RegisterKey{kind, std::string(key)});
  return it == registers_.end() ? nullptr : &it->second;
}

std::optional<ContactState> SyncState::contact(std::string_view address) const {
  const Change* present = find(RecordKind::kContact, address);
  if (present == nullptr || present->number == 0) return std::nullopt;
  ContactState out{std::string(address), Consent::kUnknown, {}};
  if (const Change* consent = find(RecordKind::kContactConsent, address))
    out.consent = static_cast<Consent>(consent->number);
  if (const Change* name = find(RecordKind::kContactName, address)) out.name = name->text;
  return out;
}

std::vector<ContactState> SyncState::contacts() const {
  std::vector<ContactState> out;
  auto it = registers_.lower_bound(RegisterKey{RecordKind::kContact, {}});
  for (; it != registers_.end() && it->first.first == RecordKind::kContact; ++it) {
    if (auto c = contact(it->first.second)) out.push_back(std::move(*c));
  }
  return out;
}

ConversationState SyncState::conversation(std::string_view topic) const {
  ConversationState out;
  if (const Change* c = find(RecordKind::kConversationArchived, topic)) out.archived = c->number != 0;
  if (const Change* c = find(RecordKind::kConversationMuted, topic)) out.muted = c->number != 0;
  if (const Change* c = find(RecordKind::kReadMarker, topic)) out.read_up_to_ns = c->number;
  return out;
}

std::optional<std::string> SyncState::setting(std::string_view name) const {
  const Change* c = find(RecordKind::kSetting, name);
  return c == nullptr ? std::nullopt : std::optional<std::string>(c->text);
}

std::optional<std::string> SyncState::device_name(const InstallationId& id) const {
  const Change* c = find(RecordKind::kDeviceName, to_hex(id));
  return c == nullptr ? std::nullopt : std::optional<std::string>(c->text);
}

std::vector<Change> SyncState::snapshot() const {
  std::vector<Change> out;
  out.reserve(registers_.size());
  for (const auto& [key, change] : registers_) out.push_back(change);
  return out;
}

Bytes SyncState::encode() const {
  codec::Writer w;
  w.raw(as_bytes(kMagic));
  w.u64(clock_);
  w.u32(static_cast<std::uint32_t>(registers_.size()));
  for (const auto& [key, change] : registers_) write_change(w, change);
  return w.take();
}

Result<SyncState> SyncState::decode(ByteView bytes, const InstallationId& self) {
  if (bytes.size() > kMaxSyncStateSize) return fail(Errc::kTooLarge, "stored account state larger than 256 MiB");
  codec::Reader r(bytes);
  if (as_chars(r.take(kMagic.size())) != kMagic) return fail(Errc::kMalformed, "not a stored account state");
  SyncState state(self);
  const std::uint64_t clock = r.u64();
  const std::size_t count = r.u32();
  if (count > kMaxRegisters) return fail(Errc::kTooLarge, "stored account state: more than 2^20 records");
  for (std::size_t i = 0; i < count && r.ok(); ++i) {
    Change change = read_change(r);
    if (!r.ok()) break;
    auto applied = state.apply(change);
    if (!applied) return tl::unexpected(context("stored account state", applied.error()));
  }
  if (!r.at_end()) return fail(Errc::kMalformed, "stored account state: truncated or trailing bytes");
  if (clock > kMaxClock) return fail(Errc::kMalformed, "stored account state: clock past 2^62");
  state.clock_ = std::max(state.clock_, clock);
  // Canonical form only: records sorted and unique, so that equal states are equal bytes.
  if (state.encode().size() != bytes.size() || state.encode() != Bytes(bytes.begin(), bytes.end()))
    return fail(Errc::kMalformed, "stored account state: records out of order or repeated");
  return state;
}

}  // namespace keylink::sync
