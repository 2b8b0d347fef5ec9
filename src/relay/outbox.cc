#include "keylink/relay/outbox.h"

namespace keylink::relay {

namespace {

// Homes made before local_only have the table without the column: add it (every row keeps 0, as they
// were sent before). ALTER TABLE ADD COLUMN with a constant default rewrites nothing.
Result<void> add_local_only(store::Database& db) {
  auto columns = db.prepare("SELECT count(*) FROM pragma_table_info('relay_outbox') WHERE name = 'local_only'");
  if (!columns) return fail(columns.error());
  auto step = columns->step();
  if (!step) return fail(step.error());
  if (columns->column_int64(0) > 0) return {};
  return db.exec("ALTER TABLE relay_outbox ADD COLUMN local_only INTEGER NOT NULL DEFAULT 0");
}

}  // namespace

// AUTOINCREMENT: an id is never reused, so an id reported to on_published names one publish for good.
Result<RelayOutbox> RelayOutbox::open(store::Database& db) {
  auto created = db.exec(
      "CREATE TABLE IF NOT EXISTS relay_outbox ("
      " id INTEGER PRIMARY KEY AUTOINCREMENT,"
      " topic TEXT NOT NULL,"
      " message TEXT NOT NULL,"
      " ttl INTEGER NOT NULL,"
      " tag INTEGER NOT NULL,"
      " ephemeral INTEGER NOT NULL DEFAULT 0,"
      " local_only INTEGER NOT NULL DEFAULT 0)");
  if (!created) return fail(context("relay outbox", created.error()));
  if (auto migrated = add_local_only(db); !migrated) return fail(context("relay outbox", migrated.error()));
  return RelayOutbox(db);
}

Result<std::int64_t> RelayOutbox::add(const OutgoingMessage& message) {
  auto insert = db_->cached(
      "INSERT INTO relay_outbox (topic, message, ttl, tag, ephemeral, local_only) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!insert) return fail(context("relay outbox", insert.error()));
  (*insert)
      ->bind_text(1, message.topic)
      .bind_text(2, message.message)
      .bind_int64(3, message.ttl)
      .bind_int64(4, message.tag)
      .bind_int64(5, message.ephemeral ? 1 : 0)
      .bind_int64(6, message.local_only ? 1 : 0);
  if (auto ran = (*insert)->run(); !ran) return fail(context("relay outbox", ran.error()));
  return db_->last_insert_rowid();
}

Result<void> RelayOutbox::remove(std::int64_t id) {
  auto erase = db_->cached("DELETE FROM relay_outbox WHERE id = ?1");
  if (!erase) return fail(context("relay outbox", erase.error()));
  (*erase)->bind_int64(1, id);
  if (auto ran = (*erase)->run(); !ran) return fail(context("relay outbox", ran.error()));
  return {};
}

Result<std::vector<QueuedMessage>> RelayOutbox::list(std::int64_t after, std::size_t limit) {
  auto select = db_->cached(
      "SELECT id, topic, message, ttl, tag, ephemeral, local_only FROM relay_outbox WHERE id > ?1 ORDER BY id "
      "LIMIT ?2");
  if (!select) return fail(context("relay outbox", select.error()));
  (*select)->bind_int64(1, after).bind_int64(2, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
  std::vector<QueuedMessage> rows;
  while (true) {
    auto step = (*select)->step();
    if (!step) return fail(context("relay outbox", step.error()));
    if (*step == store::Statement::Step::kDone) return rows;
    rows.push_back(
        {(*select)->column_int64(0),
         {std::string((*select)->column_text(1)), std::string((*select)->column_text(2)), (*select)->column_int64(3),
          (*select)->column_int64(4), (*select)->column_int64(5) != 0, (*select)->column_int64(6) != 0}});
  }
}

Result<std::int64_t> RelayOutbox::count() {
  auto select = db_->cached("SELECT count(*) FROM relay_outbox");
  if (!select) return fail(context("relay outbox", select.error()));
  auto step = (*select)->step();
  if (!step) return fail(context("relay outbox", step.error()));
  const std::int64_t rows = (*select)->column_int64(0);
  (*select)->reset();
  return rows;
}

}  // namespace keylink::relay
