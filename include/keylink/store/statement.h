// A compiled SQL statement: bind parameters, step through rows, read columns.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "keylink/base/bytes.h"
#include "keylink/base/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace keylink::store {

// Made by Database::prepare. Move-only. Thread-compatible, and used on the thread that uses its Database.
class Statement {
 public:
  enum class Step { kRow, kDone };

  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  ~Statement();

  // Bind parameter `index` (1-based: `?1`, or the n-th `?`). Text and blobs are copied. A failed bind
  // (an index out of range, a value over SQLite's size limit) is reported by the next step() or run().
  Statement& bind_int64(int index, std::int64_t value);
  Statement& bind_text(int index, std::string_view text);
  Statement& bind_blob(int index, ByteView blob);
  Statement& bind_null(int index);
  // The same without the copy, for hot loops: SQLite reads the bytes where they are, so they must stay
  // alive and unchanged until the statement has run, and be bound again before it runs again.
  Statement& bind_text_in_place(int index, std::string_view text);
  Statement& bind_blob_in_place(int index, ByteView blob);

  // kRow: a row is ready for the column getters. kDone (or an error): the statement has been reset,
  // keeping its bindings, and can run again.
  Result<Step> step();
  // Steps until done: for statements that return no rows (INSERT, UPDATE, DELETE).
  Result<void> run();
  // Abandons a statement mid-way (releasing its read snapshot) and clears its bindings.
  void reset() noexcept;

  // Columns are 0-based. REQUIRES: the last step() returned kRow. Views are valid until the next
  // step(), run() or reset(). NULL reads as 0 or empty.
  std::int64_t column_int64(int column) const noexcept;
  std::string_view column_text(int column) const noexcept;
  ByteView column_blob(int column) const noexcept;
  bool column_is_null(int column) const noexcept;

 private:
  friend class Database;
  Statement(sqlite3* db, sqlite3_stmt* stmt, std::string path) noexcept
      : db_(db), stmt_(stmt), path_(std::move(path)) {}
  void note_bind(int rc, int index) noexcept;

  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  std::string path_;    // for error messages
  int bind_error_ = 0;  // first failed bind since the last step, as a SQLite result code
  int bind_error_index_ = 0;
};

}  // namespace keylink::store
