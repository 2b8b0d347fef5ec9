// Turns a SQLite result code into a store Error that names the file and carries SQLite's message.
#pragma once

#include <string_view>

#include <sqlite3.h>

#include "keylink/base/result.h"

namespace keylink::store {

// db may be null (open failed before a handle existed); `what` says what was being done.
Error sqlite_error(sqlite3* db, int rc, std::string_view path, std::string_view what);

}  // namespace keylink::store
