#include "store/sqlite_error.h"

#include <string>

#include "keylink/store/errors.h"

namespace keylink::store {
namespace {

Errc errc_of(int rc) {
  switch (rc & 0xff) {  // the primary code; extended codes only refine it
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return Errc::kBusy;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return Errc::kCorrupt;
    case SQLITE_CONSTRAINT: return Errc::kConstraint;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_NOMEM:
    case SQLITE_PROTOCOL:
    case SQLITE_NOLFS: return Errc::kIo;
    default: return Errc::kMisuse;
  }
}

}  // namespace

Error sqlite_error(sqlite3* db, int rc, std::string_view path, std::string_view what) {
  // sqlite3_errmsg is more specific ("no such table: x") but only describes the latest call on db.
  const bool latest = db != nullptr && sqlite3_extended_errcode(db) == rc;
  std::string message = "store " + std::string(path) + ": " + std::string(what) + ": ";
  message += latest ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return Error{make_error_code(errc_of(rc)), std::move(message)};
}

}  // namespace keylink::store
