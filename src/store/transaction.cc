#include "keylink/store/transaction.h"

namespace keylink::store {

Result<Transaction> Transaction::begin(Database& db, Mode mode) {
  auto begun = db.exec(mode == Mode::kImmediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED");
  if (!begun) return fail(begun.error());
  return Transaction(db);
}

Transaction::~Transaction() {
  // After some errors (a full disk, an I/O error) SQLite has already rolled back by itself.
  if (db_ != nullptr && db_->in_transaction()) (void)db_->exec("ROLLBACK");
}

Result<void> Transaction::commit() {
  Database* db = std::exchange(db_, nullptr);
  auto committed = db->exec("COMMIT");
  if (!committed && db->in_transaction()) (void)db->exec("ROLLBACK");  // e.g. kBusy: COMMIT left it open
  return committed;
}

}  // namespace keylink::store
