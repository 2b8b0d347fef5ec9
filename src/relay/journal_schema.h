// The tables of the relay's SQLite store and how a file gets them.
#pragma once

#include <cstdint>

#include "keylink/base/result.h"
#include "keylink/store/database.h"

namespace keylink::relay {

inline constexpr std::int32_t kJournalApplicationId = 0x4b4c5259;  // "KLRY" in PRAGMA application_id
inline constexpr std::int32_t kJournalSchemaVersion = 3;           // PRAGMA user_version

// Creates the schema in a new (empty) file, or checks that the file is a relay store this version reads
// and brings an older one up to this version.
// Fails with store::Errc::kCorrupt when the file belongs to something else, kIncompatible when a newer
// keylink-relay wrote it.
Result<void> ensure_journal_schema(store::Database& db);

}  // namespace keylink::relay
