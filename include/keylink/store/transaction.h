// A transaction as a scope: commit() makes it stick; leaving the scope without it rolls back.
#pragma once

#include <utility>

#include "keylink/base/result.h"
#include "keylink/store/database.h"

namespace keylink::store {

// Move-only. REQUIRES: the Database outlives the Transaction and does not move while it is open;
// no other transaction is open on it.
class Transaction {
 public:
  enum class Mode {
    kDeferred,   // takes the write lock at the first write
    kImmediate,  // takes the write lock now: a writer cannot fail with kBusy halfway through
  };

  static Result<Transaction> begin(Database& db, Mode mode = Mode::kImmediate);

  Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  // On failure the transaction is rolled back (here or by the destructor); nothing of it stays.
  // REQUIRES: called at most once.
  Result<void> commit();

 private:
  explicit Transaction(Database& db) noexcept : db_(&db) {}
  Database* db_;  // null once committed or moved from
};

}  // namespace keylink::store
