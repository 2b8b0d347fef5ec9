// One change to the account state, as devices exchange it.
//
// The account state is a set of registers, each named by (kind, key): a contact's presence, consent
// and local name (key: the contact's address), a conversation's archived and muted flags and read
// marker (key: its topic), a setting (key: its name, e.g. "display_name"), a device's name (key: its
// installation id in hex). Every change carries a Stamp: the Lamport clock of the device that made it
// and that device's installation id. SyncState says how changes merge.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "keylink/base/bytes.h"
#include "keylink/base/result.h"
#include "keylink/sync/installation.h"

namespace keylink::sync {

inline constexpr std::size_t kMaxChangeKeySize = 256;
inline constexpr std::size_t kMaxChangeTextSize = 1024;
inline constexpr std::size_t kMaxChangesPerBatch = 1024;

struct Stamp {
  std::uint64_t clock = 0;
  InstallationId author{};
  friend auto operator<=>(const Stamp&, const Stamp&) = default;
};

enum class RecordKind : std::uint8_t {
  kContact = 1,           // number: 1 present, 0 removed (a tombstone)
  kContactConsent,        // number: Consent
  kContactName,           // text: the local name
  kConversationArchived,  // number: 0 or 1
  kConversationMuted,     // number: 0 or 1
  kReadMarker,            // number: ns of the last message read; only moves forward
  kSetting,               // text
  kDeviceName,            // text; key: hex of the installation id
};

enum class Consent : std::uint8_t { kUnknown = 0, kAllowed = 1, kDenied = 2 };

struct Change {
  RecordKind kind = RecordKind::kContact;
  std::string key;
  std::uint64_t number = 0;
  std::string text;
  Stamp stamp;  // set by SyncState::apply_local

  friend bool operator==(const Change&, const Change&) = default;
};

// Unstamped changes, for SyncState::apply_local. Keys and texts longer than the limits are refused
// there with kTooLarge.
namespace changes {
Change contact_added(std::string_view address);
Change contact_removed(std::string_view address);
Change consent(std::string_view address, Consent consent);
Change contact_name(std::string_view address, std::string_view name);
Change archived(std::string_view topic, bool archived);
Change muted(std::string_view topic, bool muted);
Change read_up_to(std::string_view topic, std::uint64_t sent_ns);
Change setting(std::string_view name, std::string_view value);
Change device_name(const InstallationId& id, std::string_view name);
}  // namespace changes

// Fails with kTooLarge / kMalformed (an unknown kind, a number out of its kind's range).
Result<void> validate(const Change& change);

Bytes encode_batch(const std::vector<Change>& batch);
// Total; every change validated. At most kMaxChangesPerBatch.
Result<std::vector<Change>> decode_batch(ByteView bytes);

}  // namespace keylink::sync
