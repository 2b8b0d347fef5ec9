// Errors of the store layer, sorted by what the caller should do about them.
#pragma once

#include <system_error>

#include "keylink/base/result.h"

namespace keylink::store {

enum class Errc {
  kIo = 1,           // the disk failed, is full, or the file cannot be opened: the operator must act
  kCorrupt,          // not a SQLite file, not the store we expect, or damaged: use another file
  kIncompatible,     // written by a newer keylink (a schema version we do not know): upgrade
  kBusy,             // another connection holds the lock past the busy timeout: retry later
  kConstraint,       // a row breaks a constraint (a duplicate key, a NOT NULL): the caller's data
  kMisuse,           // bad SQL or a misused statement: a bug in our code
  kWrongPassphrase,  // the passphrase does not open this home: ask again
};

const std::error_category& store_category() noexcept;
inline std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), store_category()}; }

}  // namespace keylink::store

template <>
struct std::is_error_code_enum<keylink::store::Errc> : std::true_type {};
