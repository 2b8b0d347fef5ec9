#include "keylink/store/database.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "testing/temp_dir.h"

namespace keylink::store {
namespace {

using keylink::testing::TempDir;

TEST(StoreErrors, CodesBelongToTheStoreCategory) {
  const std::error_code code = Errc::kCorrupt;
  EXPECT_EQ(code.category().name(), std::string("keylink.store"));
  EXPECT_EQ(code.message(), "not a valid store");
}

TEST(Database, OpensANewFileInWalMode) {
  TempDir dir;
  auto db = Database::open(dir.file("a.db"));
  ASSERT_TRUE(db) << db.error().message;
  auto stmt = db->prepare("PRAGMA journal_mode");
  ASSERT_TRUE(stmt);
  ASSERT_EQ(stmt->step().value(), Statement::Step::kRow);
  EXPECT_EQ(stmt->column_text(0), "wal");
  EXPECT_EQ(db->path(), dir.file("a.db"));
}

TEST(Database, AppliesTheSynchronousOption) {
  TempDir dir;
  auto db = Database::open(dir.file("a.db"), {.synchronous = Synchronous::kOff});
  ASSERT_TRUE(db);
  auto stmt = db->prepare("PRAGMA synchronous");
  ASSERT_EQ(stmt->step().value(), Statement::Step::kRow);
  EXPECT_EQ(stmt->column_int64(0), 0);
}

// Debian's SQLite is built with SQLITE_SECURE_DELETE, so the pragma is on there either way; the option
// makes it so whatever SQLite keylink is linked with.
TEST(Database, SecureDeleteOverwritesDeletedRows) {
  TempDir dir;
  const std::string marker = "deleted text 9f27c1";
  {
    auto db = Database::open(dir.file("a.db"), {.secure_delete = true});
    ASSERT_TRUE(db);
    auto pragma = db->prepare("PRAGMA secure_delete");
    ASSERT_TRUE(pragma && *pragma->step() == Statement::Step::kRow);
    EXPECT_EQ(pragma->column_int64(0), 1);
    pragma->reset();
    ASSERT_TRUE(db->exec("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('" + marker + "'), ('kept')"));
    ASSERT_TRUE(db->exec("PRAGMA wal_checkpoint(TRUNCATE)"));
    ASSERT_TRUE(db->exec("DELETE FROM t WHERE v <> 'kept'"));
    ASSERT_TRUE(db->exec("PRAGMA wal_checkpoint(TRUNCATE)"));
  }
  std::ifstream file(dir.file("a.db"), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  EXPECT_EQ(bytes.find(marker), std::string::npos);
}

TEST(Database, RefusesAFileThatIsNotADatabase) {
  TempDir dir;
  std::ofstream(dir.file("junk.db")) << std::string(4096, 'x');
  auto db = Database::open(dir.file("junk.db"));
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code, Errc::kCorrupt);
  EXPECT_NE(db.error().message.find(dir.file("junk.db")), std::string::npos) << db.error().message;
  EXPECT_NE(db.error().message.find("not a database"), std::string::npos) << db.error().message;
}

TEST(Database, MissingFileWithoutCreateIsAnIoError) {
  TempDir dir;
  auto db = Database::open(dir.file("missing.db"), {.create = false});
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code, Errc::kIo);
  EXPECT_NE(db.error().message.find("missing.db"), std::string::npos);
}

TEST(Database, BadSqlIsMisuseAndNamesTheProblem) {
  TempDir dir;
  auto db = Database::open(dir.file("a.db"));
  auto stmt = db->prepare("SELECT * FROM nowhere");
  ASSERT_FALSE(stmt);
  EXPECT_EQ(stmt.error().code, Errc::kMisuse);
  EXPECT_NE(stmt.error().message.find("no such table: nowhere"), std::string::npos) << stmt.error().message;
  EXPECT_FALSE(db->exec("CREATE TABLE"));
}

TEST(Database, UserVersionAndApplicationIdPersist) {
  TempDir dir;
  {
    auto db = Database::open(dir.file("a.db"));
    EXPECT_EQ(db->user_version().value(), 0);
    EXPECT_EQ(db->application_id().value(), 0);
    ASSERT_TRUE(db->set_user_version(7));
    ASSERT_TRUE(db->set_application_id(0x4b4c0001));
  }
  auto db = Database::open(dir.file("a.db"));
  EXPECT_EQ(db->user_version().value(), 7);
  EXPECT_EQ(db->application_id().value(), 0x4b4c0001);
}

TEST(Database, MovedFromDatabaseIsSafeToDestroy) {
  TempDir dir;
  auto db = Database::open(dir.file("a.db"));
  Database moved = std::move(*db);
  EXPECT_TRUE(moved.exec("CREATE TABLE t (x)"));
  Database other = std::move(*Database::open(dir.file("b.db")));
  other = std::move(moved);
  EXPECT_TRUE(other.exec("INSERT INTO t VALUES (1)"));
}

TEST(Database, ConstraintViolationIsConstraint) {
  TempDir dir;
  auto db = Database::open(dir.file("a.db"));
  ASSERT_TRUE(db->exec("CREATE TABLE t (k INTEGER PRIMARY KEY)"));
  ASSERT_TRUE(db->exec("INSERT INTO t VALUES (1)"));
  auto again = db->exec("INSERT INTO t VALUES (1)");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::kConstraint);
}

}  // namespace
}  // namespace keylink::store
