#include "keylink/store/transaction.h"

#include <gtest/gtest.h>

#include "testing/temp_dir.h"

namespace keylink::store {
namespace {

using keylink::testing::TempDir;

std::int64_t count_rows(Database& db) {
  auto count = db.prepare("SELECT count(*) FROM t");
  EXPECT_EQ(count->step().value(), Statement::Step::kRow);
  return count->column_int64(0);
}

TEST(DatabaseTransaction, CommitKeepsTheWrites) {
  TempDir dir;
  auto db = Database::open(dir.file("t.db"));
  ASSERT_TRUE(db->exec("CREATE TABLE t (x)"));
  auto txn = Transaction::begin(*db);
  ASSERT_TRUE(txn);
  EXPECT_TRUE(db->in_transaction());
  ASSERT_TRUE(db->exec("INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)"));
  ASSERT_TRUE(txn->commit());
  EXPECT_FALSE(db->in_transaction());
  EXPECT_EQ(count_rows(*db), 2);
}

TEST(DatabaseTransaction, LeavingTheScopeRollsBack) {
  TempDir dir;
  auto db = Database::open(dir.file("t.db"));
  ASSERT_TRUE(db->exec("CREATE TABLE t (x)"));
  {
    auto txn = Transaction::begin(*db, Transaction::Mode::kDeferred);
    ASSERT_TRUE(db->exec("INSERT INTO t VALUES (1)"));
    Transaction moved = std::move(*txn);
  }
  EXPECT_FALSE(db->in_transaction());
  EXPECT_EQ(count_rows(*db), 0);
}

TEST(DatabaseTransaction, ASecondWriterIsBusyAfterTheTimeout) {
  TempDir dir;
  auto first = Database::open(dir.file("t.db"));
  auto second = Database::open(dir.file("t.db"), {.busy_timeout = std::chrono::milliseconds(0)});
  ASSERT_TRUE(first->exec("CREATE TABLE t (x)"));
  auto held = Transaction::begin(*first);
  ASSERT_TRUE(held);
  auto blocked = Transaction::begin(*second);
  ASSERT_FALSE(blocked);
  EXPECT_EQ(blocked.error().code, Errc::kBusy);
  ASSERT_TRUE(held->commit());
  EXPECT_TRUE(Transaction::begin(*second));
}

}  // namespace
}  // namespace keylink::store
