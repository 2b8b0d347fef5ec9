// What device A hands to device B: the capability B offers, the kind A chooses, and the account itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "keylink/base/secret.h"

namespace keylink::link {

// What B offers to receive (in the URI, and bound into the channel key so that a downgrade is caught).
enum class Capabilities : std::uint8_t { kLight = 1, kLightAndFull = 2 };
// What A sends: "light" (no wallet secret) or "full" (also the recovery phrase).
enum class AccountKind : std::uint8_t { kLight = 1, kFull = 2 };

std::string_view to_string(Capabilities caps) noexcept;
std::string_view to_string(AccountKind kind) noexcept;
bool offers(Capabilities caps, AccountKind kind) noexcept;

// Limits on what one link carries; checked on both sides, before any length sizes a buffer.
inline constexpr std::size_t kMaxNameLength = 64;        // bytes of B's device name
inline constexpr std::size_t kMaxPlatformLength = 32;    // bytes of B's platform
inline constexpr std::size_t kMaxBlobLength = 1 << 20;   // each account blob, record or list
inline constexpr std::size_t kMaxChunkLength = 1 << 20;  // one history chunk
inline constexpr std::uint32_t kMaxChunks = 1 << 20;     // chunks in one history stream

// The account, as the runtime fills it from its stores. Opaque to the link layer: it carries the blobs,
// checks their sizes and nothing else. recovery_phrase is set exactly when kind is kFull.
struct AccountPayload {
  AccountKind kind = AccountKind::kLight;
  SecretBytes identity_bundle;                 // the XMTP identity key and pre-keys
  SecretBytes conversation_keys;               // the conversations' keys
  SecretBytes installation_list;               // the signed installation list as it is now (before B)
  SecretBytes device_group_key;                // the key of the sync topic
  std::optional<SecretBytes> recovery_phrase;  // the wallet's phrase: full only

  AccountPayload clone() const;
};

// B's description of itself, shown by A to its user. Text a remote party wrote: escape it before
// printing it (base/terminal_text.h).
struct DeviceInfo {
  std::string name;
  std::string platform;
};

}  // namespace keylink::link
