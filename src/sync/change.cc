#include "keylink/sync/change.h"

#include "keylink/base/encoding.h"
#include "keylink/sync/errors.h"
#include "sync/change_codec.h"

namespace keylink::sync {
namespace {

Change number_change(RecordKind kind, std::string_view key, std::uint64_t number) {
  return Change{kind, std::string(key), number, {}, {}};
}

Change text_change(RecordKind kind, std::string_view key, std::string_view text) {
  return Change{kind, std::string(key), 0, std::string(text), {}};
}

// The greatest number each kind allows; text kinds carry no number.
std::uint64_t max_number(RecordKind kind) {
  switch (kind) {
    case RecordKind::kContact:
    case RecordKind::kConversationArchived:
    case RecordKind::kConversationMuted: return 1;
    case RecordKind::kContactConsent: return static_cast<std::uint64_t>(Consent::kDenied);
    case RecordKind::kReadMarker: return UINT64_MAX;
    case RecordKind::kContactName:
    case RecordKind::kSetting:
    case RecordKind::kDeviceName: return 0;
  }
  return 0;
}

bool is_text_kind(RecordKind kind) {
  return kind == RecordKind::kContactName || kind == RecordKind::kSetting || kind == RecordKind::kDeviceName;
}

}  // namespace

namespace changes {
Change contact_added(std::string_view address) { return number_change(RecordKind::kContact, address, 1); }
Change contact_removed(std::string_view address) { return number_change(RecordKind::kContact, address, 0); }
Change consent(std::string_view address, Consent consent) {
  return number_change(RecordKind::kContactConsent, address, static_cast<std::uint64_t>(consent));
}
Change contact_name(std::string_view address, std::string_view name) {
  return text_change(RecordKind::kContactName, address, name);
}
Change archived(std::string_view topic, bool archived) {
  return number_change(RecordKind::kConversationArchived, topic, archived ? 1 : 0);
}
Change muted(std::string_view topic, bool muted) {
  return number_change(RecordKind::kConversationMuted, topic, muted ? 1 : 0);
}
Change read_up_to(std::string_view topic, std::uint64_t sent_ns) {
  return number_change(RecordKind::kReadMarker, topic, sent_ns);
}
Change setting(std::string_view name, std::string_view value) { return text_change(RecordKind::kSetting, name, value); }
Change device_name(const InstallationId& id, std::string_view name) {
  return text_change(RecordKind::kDeviceName, to_hex(id), name);
}
}  // namespace changes

Result<void> validate(const Change& change) {
  const auto kind = static_cast<std::uint8_t>(change.kind);
  if (kind < static_cast<std::uint8_t>(RecordKind::kContact) ||
      kind > static_cast<std::uint8_t>(RecordKind::kDeviceName))
    return fail(Errc::kMalformed, "change: unknown record kind " + std::to_string(kind));
  if (change.key.empty()) return fail(Errc::kMalformed, "change: empty key");
  if (change.key.size() > kMaxChangeKeySize) return fail(Errc::kTooLarge, "change: key longer than 256 bytes");
  if (change.text.size() > kMaxChangeTextSize) return fail(Errc::kTooLarge, "change: text longer than 1024 bytes");
  if (change.number > max_number(change.kind)) return fail(Errc::kMalformed, "change: value out of range for its kind");
  if (!is_text_kind(change.kind) && !change.text.empty())
    return fail(Errc::kMalformed, "change: text on a number record");
  return {};
}

Result<void> validate_stamped(const Change& change) {
  if (auto valid = validate(change); !valid) return valid;
  if (change.stamp.clock == 0 || change.stamp.clock > kMaxClock)
    return fail(Errc::kMalformed, "change: Lamport clock 0 or past 2^62");
  return {};
}

void write_change(codec::Writer& w, const Change& change) {
  w.u8(static_cast<std::uint8_t>(change.kind));
  w.str16(change.key);
  w.u64(change.number);
  w.str16(change.text);
  w.u64(change.stamp.clock);
  w.raw(change.stamp.author);
}

Change read_change(codec::Reader& r) {
  Change change;
  change.kind = static_cast<RecordKind>(r.u8());
  change.key = r.str16(kMaxChangeKeySize);
  change.number = r.u64();
  change.text = r.str16(kMaxChangeTextSize);
  change.stamp.clock = r.u64();
  change.stamp.author = r.array<32>();
  return change;
}

Bytes encode_batch(const std::vector<Change>& batch) {
  codec::Writer w;
  w.u32(static_cast<std::uint32_t>(batch.size()));
  for (const auto& change : batch) write_change(w, change);
  return w.take();
}

Result<std::vector<Change>> decode_batch(ByteView bytes) {
  codec::Reader r(bytes);
  const std::size_t count = r.u32();
  if (count > kMaxChangesPerBatch) return fail(Errc::kTooLarge, "change batch: more than 1024 changes");
  std::vector<Change> batch;
  for (std::size_t i = 0; i < count && r.ok(); ++i) {
    batch.push_back(read_change(r));
    if (!r.ok()) break;
    if (auto valid = validate_stamped(batch.back()); !valid) return tl::unexpected(valid.error());
  }
  if (!r.at_end()) return fail(Errc::kMalformed, "change batch: truncated or trailing bytes");
  return batch;
}

}  // namespace keylink::sync
