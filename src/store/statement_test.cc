#include "keylink/store/statement.h"

#include <gtest/gtest.h>

#include <optional>

#include "keylink/store/database.h"
#include "testing/temp_dir.h"

namespace keylink::store {
namespace {

using keylink::testing::TempDir;

class DatabaseStatement : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = Database::open(dir_.file("s.db"));
    ASSERT_TRUE(opened) << opened.error().message;
    db_.emplace(std::move(*opened));
    ASSERT_TRUE(db_->exec("CREATE TABLE t (i INTEGER, s TEXT, b BLOB, n)"));
  }
  TempDir dir_;
  std::optional<Database> db_;
};

TEST_F(DatabaseStatement, BindsAndReadsEveryType) {
  const Bytes blob = {0, 1, 2, 0xff};
  auto insert = db_->prepare("INSERT INTO t VALUES (?, ?, ?, ?)");
  ASSERT_TRUE(insert);
  const std::string text("with\0nul", 8);
  ASSERT_TRUE(insert->bind_int64(1, -(std::int64_t{1} << 40)).bind_text(2, text).bind_blob(3, blob).bind_null(4).run());
  EXPECT_EQ(db_->changes(), 1);

  auto select = db_->prepare("SELECT i, s, b, n FROM t");
  ASSERT_EQ(select->step().value(), Statement::Step::kRow);
  EXPECT_EQ(select->column_int64(0), -(std::int64_t{1} << 40));
  EXPECT_EQ(select->column_text(1), text);
  const ByteView read = select->column_blob(2);
  EXPECT_EQ(Bytes(read.begin(), read.end()), blob);
  EXPECT_TRUE(select->column_is_null(3));
  EXPECT_FALSE(select->column_is_null(0));
  EXPECT_EQ(select->column_text(3), "");
  EXPECT_EQ(select->step().value(), Statement::Step::kDone);
}

TEST_F(DatabaseStatement, EmptyBlobIsNotNull) {
  auto insert = db_->prepare("INSERT INTO t (b) VALUES (?)");
  ASSERT_TRUE(insert->bind_blob(1, {}).run());
  auto select = db_->prepare("SELECT b IS NULL, length(b) FROM t");
  ASSERT_EQ(select->step().value(), Statement::Step::kRow);
  EXPECT_EQ(select->column_int64(0), 0);
  EXPECT_EQ(select->column_int64(1), 0);
}

// Bound in place, the row holds what the bytes were when it ran; the caller may change them afterwards.
TEST_F(DatabaseStatement, InPlaceBindsAreReadWhenTheStatementRuns) {
  auto insert = db_->prepare("INSERT INTO t (s, b) VALUES (?, ?)");
  std::string text = "first";
  Bytes blob = {1, 2};
  ASSERT_TRUE(insert->bind_text_in_place(1, text).bind_blob_in_place(2, blob).run());
  text = "second";
  blob = {};
  ASSERT_TRUE(insert->bind_text_in_place(1, text).bind_blob_in_place(2, blob).run());
  auto select = db_->prepare("SELECT s, b IS NULL, hex(b) FROM t ORDER BY rowid");
  for (const auto& [s, b] : {std::pair{"first", "0102"}, std::pair{"second", ""}}) {
    ASSERT_EQ(select->step().value(), Statement::Step::kRow);
    EXPECT_EQ(select->column_text(0), s);
    EXPECT_EQ(select->column_int64(1), 0);  // an empty blob, not NULL
    EXPECT_EQ(select->column_text(2), b);
  }
}

TEST_F(DatabaseStatement, RunsAgainAfterDoneKeepingBindings) {
  auto insert = db_->prepare("INSERT INTO t (i) VALUES (?)");
  insert->bind_int64(1, 5);
  ASSERT_TRUE(insert->run());
  ASSERT_TRUE(insert->run());
  auto count = db_->prepare("SELECT count(*), sum(i) FROM t");
  ASSERT_EQ(count->step().value(), Statement::Step::kRow);
  EXPECT_EQ(count->column_int64(0), 2);
  EXPECT_EQ(count->column_int64(1), 10);
}

TEST_F(DatabaseStatement, ResetClearsBindings) {
  auto insert = db_->prepare("INSERT INTO t (i) VALUES (?)");
  insert->bind_int64(1, 5);
  insert->reset();
  ASSERT_TRUE(insert->run());
  auto select = db_->prepare("SELECT i FROM t");
  ASSERT_EQ(select->step().value(), Statement::Step::kRow);
  EXPECT_TRUE(select->column_is_null(0));
}

TEST_F(DatabaseStatement, BindOutOfRangeFailsAtStep) {
  auto insert = db_->prepare("INSERT INTO t (i) VALUES (?)");
  auto ran = insert->bind_int64(2, 5).run();
  ASSERT_FALSE(ran);
  EXPECT_EQ(ran.error().code, Errc::kMisuse);
  EXPECT_NE(ran.error().message.find("parameter 2"), std::string::npos) << ran.error().message;
  EXPECT_TRUE(insert->bind_int64(1, 5).run());  // the error is reported once
}

TEST_F(DatabaseStatement, AStepErrorNamesTheStatement) {
  ASSERT_TRUE(db_->exec("CREATE TABLE u (k TEXT NOT NULL)"));
  auto insert = db_->prepare("INSERT INTO u VALUES (?)");
  auto ran = insert->bind_null(1).run();
  ASSERT_FALSE(ran);
  EXPECT_EQ(ran.error().code, Errc::kConstraint);
  EXPECT_NE(ran.error().message.find("INSERT INTO u"), std::string::npos) << ran.error().message;
  EXPECT_NE(ran.error().message.find("NOT NULL"), std::string::npos) << ran.error().message;
}

TEST_F(DatabaseStatement, OutlivingItsDatabaseIsHarmless) {
  auto select = db_->prepare("SELECT 1");
  ASSERT_TRUE(select);
  db_.reset();  // close_v2 waits for the last statement
}

}  // namespace
}  // namespace keylink::store
