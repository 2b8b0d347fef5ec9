// One connection to one SQLite file: the only place keylink talks to SQLite.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "keylink/base/result.h"
#include "keylink/store/errors.h"
#include "keylink/store/statement.h"

struct sqlite3;

namespace keylink::store {

// When a commit reaches the disk (PRAGMA synchronous, in WAL mode).
enum class Synchronous {
  kOff,     // never fsyncs: a commit survives kill -9 (it is in the OS page cache), not a power loss
  kNormal,  // fsyncs at checkpoints only: as kOff for the latest commits, but a power loss cannot corrupt
  kFull,    // fsyncs the WAL at every commit: a commit survives a power loss
};

struct DatabaseOptions {
  Synchronous synchronous = Synchronous::kFull;
  std::chrono::milliseconds busy_timeout{5000};  // how long to wait for another connection's lock
  bool create = true;                            // create the file when it does not exist
  int checkpoint_pages = 1000;                   // WAL pages that trigger a checkpoint (PRAGMA wal_autocheckpoint)
  // PRAGMA secure_delete: deleted rows are overwritten with zeros instead of left in free pages, for
  // files that held secrets or private text in the clear at some point.
  bool secure_delete = false;
};

// A SQLite connection in WAL mode with foreign keys on. Move-only; closing happens in the destructor.
// Thread-compatible: one thread at a time. It may move to another thread with a happens-before edge
// (a mutex, a thread start).
class Database {
 public:
  // Fails with kIo when the file cannot be opened or created, kCorrupt when it is not a SQLite
  // database. Every error message names the file and carries SQLite's message.
  static Result<Database> open(const std::string& path, const DatabaseOptions& options = {});

  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  ~Database();

  // Runs one or more ';'-separated statements whose rows, if any, are discarded.
  Result<void> exec(std::string_view sql);

  // Compiles one statement. REQUIRES: this Database outlives the Statement and does not move.
  Result<Statement> prepare(std::string_view sql);

  // The statement for `sql`, compiled at its first use and kept for the life of the connection: the
  // hot paths' statements, which would otherwise spend most of their time in SQLite's parser. It comes
  // reset, with the bindings of its last use (bind every parameter again).
  // REQUIRES: the caller steps it to kDone or calls reset() before it uses the same SQL again.
  Result<Statement*> cached(std::string_view sql);

  // PRAGMA user_version: the schema version, 0 in a new file. Migrations bump it in their transaction.
  Result<std::int32_t> user_version();
  Result<void> set_user_version(std::int32_t version);

  // PRAGMA application_id: which program's file this is, 0 in a new file.
  Result<std::int32_t> application_id();
  Result<void> set_application_id(std::int32_t id);

  // The rowid of the last INSERT.
  std::int64_t last_insert_rowid() const noexcept;
  // Rows changed by the last INSERT, UPDATE or DELETE.
  std::int64_t changes() const noexcept;
  // False between BEGIN and COMMIT/ROLLBACK.
  bool in_transaction() const noexcept;
  const std::string& path() const noexcept { return path_; }

 private:
  Database(sqlite3* db, std::string path) noexcept : db_(db), path_(std::move(path)) {}
  Result<std::int32_t> pragma_int(std::string_view name);

  sqlite3* db_ = nullptr;
  std::string path_;
  std::map<std::string, Statement, std::less<>> cache_;  // by SQL text; finalized before the connection closes
};

}  // namespace keylink::store
