#include "keylink/store/database.h"

#include <sqlite3.h>

#include <string>
#include <utility>

#include "store/sqlite_error.h"

namespace keylink::store {
namespace {

const char* synchronous_pragma(Synchronous synchronous) {
  switch (synchronous) {
    case Synchronous::kOff: return "PRAGMA synchronous = OFF";
    case Synchronous::kNormal: return "PRAGMA synchronous = NORMAL";
    case Synchronous::kFull: return "PRAGMA synchronous = FULL";
  }
  return "PRAGMA synchronous = FULL";
}

}  // namespace

Result<Database> Database::open(const std::string& path, const DatabaseOptions& options) {
  // SQLite counts every allocation under a global mutex unless told not to, before its first use (a
  // later call fails harmlessly). Nothing here reads the counts.
  [[maybe_unused]] static const int no_memstatus = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  // NOMUTEX: each connection is used by one thread at a time, so SQLite's own locking is waste.
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (options.create) flags |= SQLITE_OPEN_CREATE;
  sqlite3* handle = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &handle, flags, nullptr);
  Database db(handle, path);  // closes the handle on every path out, as SQLite requires even on failure
  if (rc != SQLITE_OK) return fail(sqlite_error(handle, rc, path, "cannot open"));
  sqlite3_extended_result_codes(handle, 1);
  sqlite3_busy_timeout(handle, static_cast<int>(options.busy_timeout.count()));
  // The first statement reads the header: a file that is not a database fails here, not at open.
  if (auto wal = db.exec("PRAGMA journal_mode = WAL"); !wal) return fail(wal.error());
  if (auto sync = db.exec(synchronous_pragma(options.synchronous)); !sync) return fail(sync.error());
  if (auto fk = db.exec("PRAGMA foreign_keys = ON"); !fk) return fail(fk.error());
  if (options.secure_delete) {
    if (auto secure = db.exec("PRAGMA secure_delete = ON"); !secure) return fail(secure.error());
  }
  if (auto checkpoint = db.exec("PRAGMA wal_autocheckpoint = " + std::to_string(options.checkpoint_pages));
      !checkpoint) {
    return fail(checkpoint.error());
  }
  return db;
}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), path_(std::move(other.path_)), cache_(std::move(other.cache_)) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    cache_.clear();
    sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
    cache_ = std::move(other.cache_);
  }
  return *this;
}

// close_v2: a statement still alive keeps the connection until it is finalized, instead of a leak.
Database::~Database() {
  cache_.clear();
  sqlite3_close_v2(db_);
}

Result<void> Database::exec(std::string_view sql) {
  const std::string text(sql);  // sqlite3_exec wants a NUL-terminated string
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return fail(sqlite_error(db_, rc, path_, text));
  return {};
}

Result<Statement> Database::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc =
      sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return fail(sqlite_error(db_, rc, path_, sql));
  return Statement(db_, stmt, path_);
}

Result<Statement*> Database::cached(std::string_view sql) {
  auto found = cache_.find(sql);
  if (found == cache_.end()) {
    auto compiled = prepare(sql);
    if (!compiled) return fail(compiled.error());
    found = cache_.emplace(std::string(sql), std::move(*compiled)).first;
  }
  return &found->second;
}

Result<std::int32_t> Database::pragma_int(std::string_view name) {
  auto stmt = prepare("PRAGMA " + std::string(name));
  if (!stmt) return fail(stmt.error());
  auto step = stmt->step();
  if (!step) return fail(step.error());
  if (*step != Statement::Step::kRow) return fail(Errc::kMisuse, "store " + path_ + ": PRAGMA returned no row");
  return static_cast<std::int32_t>(stmt->column_int64(0));
}

Result<std::int32_t> Database::user_version() { return pragma_int("user_version"); }

Result<void> Database::set_user_version(std::int32_t version) {
  return exec("PRAGMA user_version = " + std::to_string(version));
}

Result<std::int32_t> Database::application_id() { return pragma_int("application_id"); }

Result<void> Database::set_application_id(std::int32_t id) {
  return exec("PRAGMA application_id = " + std::to_string(id));
}

std::int64_t Database::last_insert_rowid() const noexcept { return sqlite3_last_insert_rowid(db_); }

std::int64_t Database::changes() const noexcept { return sqlite3_changes64(db_); }

bool Database::in_transaction() const noexcept { return sqlite3_get_autocommit(db_) == 0; }

}  // namespace keylink::store
