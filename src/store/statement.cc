#include "keylink/store/statement.h"

#include <sqlite3.h>

#include <string>
#include <utility>

#include "keylink/store/errors.h"
#include "store/sqlite_error.h"

namespace keylink::store {

namespace {

// A null pointer would bind NULL, not an empty blob.
const void* blob_data(ByteView blob) {
  static constexpr std::uint8_t kEmpty = 0;
  return blob.empty() ? &kEmpty : blob.data();
}

}  // namespace

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_),
      stmt_(std::exchange(other.stmt_, nullptr)),
      path_(std::move(other.path_)),
      bind_error_(other.bind_error_),
      bind_error_index_(other.bind_error_index_) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = other.db_;
    stmt_ = std::exchange(other.stmt_, nullptr);
    path_ = std::move(other.path_);
    bind_error_ = other.bind_error_;
    bind_error_index_ = other.bind_error_index_;
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

void Statement::note_bind(int rc, int index) noexcept {
  if (rc != SQLITE_OK && bind_error_ == 0) {
    bind_error_ = rc;
    bind_error_index_ = index;
  }
}

Statement& Statement::bind_int64(int index, std::int64_t value) {
  note_bind(sqlite3_bind_int64(stmt_, index, value), index);
  return *this;
}

Statement& Statement::bind_text(int index, std::string_view text) {
  note_bind(sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8), index);
  return *this;
}

Statement& Statement::bind_text_in_place(int index, std::string_view text) {
  note_bind(sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8), index);
  return *this;
}

Statement& Statement::bind_blob(int index, ByteView blob) {
  note_bind(sqlite3_bind_blob64(stmt_, index, blob_data(blob), blob.size(), SQLITE_TRANSIENT), index);
  return *this;
}

Statement& Statement::bind_blob_in_place(int index, ByteView blob) {
  note_bind(sqlite3_bind_blob64(stmt_, index, blob_data(blob), blob.size(), SQLITE_STATIC), index);
  return *this;
}

Statement& Statement::bind_null(int index) {
  note_bind(sqlite3_bind_null(stmt_, index), index);
  return *this;
}

Result<Statement::Step> Statement::step() {
  if (bind_error_ != 0) {
    const int rc = std::exchange(bind_error_, 0);
    return fail(sqlite_error(db_, rc, path_, "binding parameter " + std::to_string(bind_error_index_)));
  }
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return Step::kRow;
  Error error = rc == SQLITE_DONE ? Error{} : sqlite_error(db_, rc, path_, sqlite3_sql(stmt_));
  sqlite3_reset(stmt_);  // release the statement's locks and snapshot now, not at the next use
  if (rc != SQLITE_DONE) return fail(std::move(error));
  return Step::kDone;
}

Result<void> Statement::run() {
  for (;;) {
    auto step_result = step();
    if (!step_result) return fail(step_result.error());
    if (*step_result == Step::kDone) return {};
  }
}

void Statement::reset() noexcept {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_error_ = 0;
}

std::int64_t Statement::column_int64(int column) const noexcept { return sqlite3_column_int64(stmt_, column); }

std::string_view Statement::column_text(int column) const noexcept {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  const int size = sqlite3_column_bytes(stmt_, column);  // after the pointer, as SQLite documents
  return text == nullptr ? std::string_view() : std::string_view(text, static_cast<std::size_t>(size));
}

ByteView Statement::column_blob(int column) const noexcept {
  const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, column));
  const int size = sqlite3_column_bytes(stmt_, column);
  return data == nullptr ? ByteView() : ByteView(data, static_cast<std::size_t>(size));
}

bool Statement::column_is_null(int column) const noexcept { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

}  // namespace keylink::store
