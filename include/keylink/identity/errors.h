// Errors of the identity layer, sorted by what the caller does next.
#pragma once

#include <system_error>

#include "keylink/base/result.h"

namespace keylink::identity {

enum class Errc {
  kNoAccount = 1,    // the home has no account yet: create or import one
  kReservedMessage,  // a text only keylink itself may sign: refuse the app
  kAccountExists,    // the home has an account already; importing another would lose its key
  kBadMnemonic,      // words that are not a BIP39 mnemonic (unknown word, count, checksum): ask again
  kBadPath,          // a BIP32 derivation path that does not parse: fix the path
  kNoMnemonic,       // the account was not made from a mnemonic (random or imported key): nothing to show
};
const std::error_category& identity_category() noexcept;
inline std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), identity_category()}; }

}  // namespace keylink::identity

template <>
struct std::is_error_code_enum<keylink::identity::Errc> : std::true_type {};
