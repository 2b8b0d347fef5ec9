#include "relay/journal_schema.h"

#include <cstdio>
#include <string>

#include "keylink/store/transaction.h"

namespace keylink::relay {
namespace {

// messages: a rowid table, since rows carry up to 256 KiB and the id is a random 32-byte key.
// acks: small rows found by their key, so WITHOUT ROWID stores them once.
// Both prune by expiry, hence an index on expires_at each.
constexpr const char* kSchemaV1 = R"sql(
  CREATE TABLE messages (
    id BLOB PRIMARY KEY NOT NULL,
    topic TEXT NOT NULL,
    message BLOB NOT NULL,
    tag INTEGER NOT NULL,
    published_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL);
  CREATE INDEX messages_by_expiry ON messages (expires_at);
  CREATE TABLE acks (
    client TEXT NOT NULL,
    id BLOB NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (client, id)) WITHOUT ROWID;
  CREATE INDEX acks_by_expiry ON acks (expires_at);
)sql";

Result<std::int64_t> count_tables(store::Database& db) {
  auto stmt = db.prepare("SELECT count(*) FROM sqlite_schema");
  if (!stmt) return fail(stmt.error());
  auto step = stmt->step();
  if (!step) return fail(step.error());
  return stmt->column_int64(0);
}

Result<void> create_schema(store::Database& db) {
  auto tables = count_tables(db);
  if (!tables) return fail(tables.error());
  if (*tables != 0) {
    return fail(store::Errc::kCorrupt,
                "store " + db.path() + ": not a keylink relay store (a SQLite file with other tables)");
  }
  if (auto made = db.exec(kSchemaV1); !made) return made;
  if (auto id = db.set_application_id(kJournalApplicationId); !id) return id;
  return db.set_user_version(kJournalSchemaVersion);
}

Result<void> check_schema(store::Database& db, std::int32_t application_id, std::int32_t version) {
  if (application_id != kJournalApplicationId) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%08x", static_cast<unsigned>(application_id));
    return fail(store::Errc::kCorrupt,
                "store " + db.path() + ": not a keylink relay store (SQLite application_id " + hex + ")");
  }
  if (version > kJournalSchemaVersion) {
    return fail(store::Errc::kIncompatible, "store " + db.path() + ": written by a newer keylink-relay (schema " +
                                                std::to_string(version) + "; this one reads up to " +
                                                std::to_string(kJournalSchemaVersion) + ")");
  }
  return {};  // version 1 is the only one so far: no migrations yet
}

}  // namespace

Result<void> ensure_journal_schema(store::Database& db) {
  // IMMEDIATE: two relays starting on one new file must not both create the tables.
  auto txn = store::Transaction::begin(db);
  if (!txn) return fail(txn.error());
  auto application_id = db.application_id();
  if (!application_id) return fail(application_id.error());
  auto version = db.user_version();
  if (!version) return fail(version.error());
  auto ready = *application_id == 0 && *version == 0 ? create_schema(db) : check_schema(db, *application_id, *version);
  if (!ready) return ready;
  return txn->commit();
}

}  // namespace keylink::relay
