// Errors of a Keystore (keystore.h), whatever the implementation, sorted by what the caller does next.
#pragma once

#include <system_error>

namespace keylink::identity {

enum class KeystoreErrc {
  kNoIdentity = 1,       // the home has no messaging identity yet: create one (`keylink account create`)
  kIdentityExists,       // the home has one already; making another would lose its keys
  kUnknownConversation,  // no key for this topic: the invitation has not been read (or was refused)
  kNotForMe,             // an invitation or message between other identities: ignore it
  kBadHeader,            // a header that does not belong to the topic it came on: drop the message
  kConflict,             // an invitation its parties' keys do not derive, or one that claims a known
                         // conversation with another party or key: drop it, keep the conversation
  kBadTime,              // an invitation dated before its parties' keys existed or too far ahead: drop it
  kRefused,              // a keystore elsewhere (a wallet) refused: the message says why (not approved,
                         // expired, over its rate limit, never allowed); ask the wallet's user
  kUnreachable,          // a keystore elsewhere did not answer (wallet offline, relay down): try later
  kNoPreKey,             // no pre-key at that index (sign_digest): ask for one the bundle has
};
const std::error_category& keystore_category() noexcept;
inline std::error_code make_error_code(KeystoreErrc e) noexcept { return {static_cast<int>(e), keystore_category()}; }

}  // namespace keylink::identity

template <>
struct std::is_error_code_enum<keylink::identity::KeystoreErrc> : std::true_type {};
