#include "relay/journal_schema.h"

#include <cstdio>
#include <string>
#include <vector>

#include "keylink/store/transaction.h"

namespace keylink::relay {
namespace {

// Version 3. messages: keyed by seq, which the relay gives in increasing order, so each row is appended
// at the end of the table; the id is not indexed (the relay's mailbox finds duplicates), so no insert
// lands at a random place. The publisher counts as having acked its message, so its ack is the message's
// publisher column, not a row of acks ('' in rows from version 2, whose publishers have ack rows).
// Messages are pruned by expiry, hence an index on expires_at (close to append order too). acks: keyed by
// (seq, client), and acks come soon after their message, so they too land at the end; they are pruned
// with their message, by seq.
constexpr const char* kSchema = R"sql(
  CREATE TABLE messages (
    seq INTEGER PRIMARY KEY,
    id BLOB NOT NULL,
    topic TEXT NOT NULL,
    message BLOB NOT NULL,
    tag INTEGER NOT NULL,
    published_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    publisher TEXT NOT NULL DEFAULT '');
  CREATE INDEX messages_by_expiry ON messages (expires_at);
  CREATE TABLE acks (
    client TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (seq, client)) WITHOUT ROWID;
)sql";

// Version 1 keyed messages by id (a random insert per message) and acks by (client, id). Its messages
// keep their rowid as seq; its acks find their seq through the id.
constexpr const char* kMigrateFrom1 = R"sql(
  ALTER TABLE messages RENAME TO messages_v1;
  ALTER TABLE acks RENAME TO acks_v1;
  DROP INDEX messages_by_expiry;
  DROP INDEX acks_by_expiry;
)sql";
constexpr const char* kCopyFrom1 = R"sql(
  INSERT INTO messages (seq, id, topic, message, tag, published_at, expires_at)
    SELECT rowid, id, topic, message, tag, published_at, expires_at FROM messages_v1;
  INSERT INTO acks (client, seq) SELECT a.client, m.rowid FROM acks_v1 a JOIN messages_v1 m ON m.id = a.id;
  DROP TABLE messages_v1;
  DROP TABLE acks_v1;
)sql";

// Version 2 had no publisher column (its publishers' acks are rows of acks, which stay) and pruned acks
// by an expiry of their own. An ack whose message is gone already would now never be pruned.
constexpr const char* kMigrateFrom2 = R"sql(
  ALTER TABLE messages ADD COLUMN publisher TEXT NOT NULL DEFAULT '';
  DROP INDEX acks_by_expiry;
  ALTER TABLE acks DROP COLUMN expires_at;
  DELETE FROM acks WHERE seq NOT IN (SELECT seq FROM messages);
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
  if (auto made = db.exec(kSchema); !made) return made;
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
  if (version == kJournalSchemaVersion) return {};
  std::vector<const char*> steps = {kMigrateFrom2};
  if (version == 1) steps = {kMigrateFrom1, kSchema, kCopyFrom1};
  for (const char* step : steps) {
    if (auto done = db.exec(step); !done) return done;
  }
  return db.set_user_version(kJournalSchemaVersion);
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
