#include "keylink/runtime/home.h"

#include <sys/stat.h>

#include <cerrno>

#include "keylink/store/errors.h"
#include "keylink/store/transaction.h"

namespace keylink::runtime {
namespace {


Result<void> make_private_dir(const std::filesystem::path& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return fail(store::Errc::kIo, "cannot create the home " + dir.string() + ": " + error.message());
  // Only the owner reads a home: it holds sealed keys and who talks to whom.
  if (::chmod(dir.c_str(), 0700) != 0) {
    return fail(store::Errc::kIo, "cannot make the home " + dir.string() +
                                      " private (mode 0700): " + std::generic_category().message(errno));
  }
  return {};
}

// A random Ed25519 seed, sealed under its name, made on first use.
Result<crypto::Ed25519KeyPair> load_key(store::Database& db, const store::Vault& vault, std::string_view name,
                                        Rng& rng) {
  if (auto made = db.exec("CREATE TABLE IF NOT EXISTS home_keys (name TEXT PRIMARY KEY, sealed BLOB NOT NULL)");
      !made) {
    return tl::unexpected(made.error());
  }
  auto select = db.prepare("SELECT sealed FROM home_keys WHERE name = ?1");
  if (!select) return tl::unexpected(select.error());
  select->bind_text(1, name);
  auto row = select->step();
  if (!row) return tl::unexpected(row.error());
  if (*row == store::Statement::Step::kRow) {
    auto seed = vault.open_fixed<32>(select->column_blob(0), name);
    select->reset();
    if (!seed) return tl::unexpected(seed.error());
    return crypto::Ed25519KeyPair::from_seed(*seed);
  }
  auto key = crypto::Ed25519KeyPair::generate(rng);
  auto insert = db.prepare("INSERT INTO home_keys (name, sealed) VALUES (?1, ?2)");
  if (!insert) return tl::unexpected(insert.error());
  insert->bind_text(1, name).bind_blob(2, vault.seal(key.seed().expose(), name, rng));
  if (auto ran = insert->run(); !ran) return tl::unexpected(ran.error());
  return key;
}

// A checkpoint fsyncs the file: every 4,096 pages of WAL (16 MiB) rather than SQLite's 1,000, so that
// fewer steps pay for one (measured: the p99 of a request round trip).
// secure_delete: what a step deletes (an answered request, a session's keys) does not stay readable in
// the file's free pages.
Result<store::Database> open_database(const std::filesystem::path& dir,
                                      std::string_view file = Home::kDatabaseFile) {
  return store::Database::open(
      (dir / file).string(),
      {.synchronous = store::Synchronous::kNormal, .checkpoint_pages = 4096, .secure_delete = true});
}

}  // namespace

bool Home::exists(const std::filesystem::path& dir) {
  std::error_code error;
  return std::filesystem::is_regular_file(dir / kDatabaseFile, error);
}

Result<Home> Home::open(const std::filesystem::path& dir, const SecretBytes& passphrase, Rng& rng,
                        const crypto::Argon2Params& params) {
  if (auto made = make_private_dir(dir); !made) return tl::unexpected(made.error());
  Home home;
  home.dir_ = dir;
  auto db = open_database(dir);
  if (!db) return tl::unexpected(db.error());
  home.db_ = std::make_unique<store::Database>(std::move(*db));
  auto tx = store::Transaction::begin(*home.db_);
  if (!tx) return tl::unexpected(tx.error());
  auto vault = store::Vault::open(*home.db_, passphrase, rng, params);
  if (!vault) return tl::unexpected(vault.error());
  home.vault_ = std::make_unique<store::Vault>(std::move(*vault));
  auto key = load_key(*home.db_, *home.vault_, kClientKeyName, rng);
  if (!key) return tl::unexpected(key.error());
  home.client_key_ = std::make_unique<crypto::Ed25519KeyPair>(std::move(*key));
  if (auto committed = tx->commit(); !committed) return tl::unexpected(committed.error());
  return home;
}

Result<crypto::Ed25519KeyPair> Home::key(std::string_view name, Rng& rng) {
  return load_key(*db_, *vault_, name, rng);
}

Result<Home> Home::another_connection(Rng& rng, std::string_view client_key_name,
                                      std::string_view database_file) const {
  Home home;
  home.dir_ = dir_;
  auto db = open_database(dir_, database_file);
  if (!db) return tl::unexpected(db.error());
  home.db_ = std::make_unique<store::Database>(std::move(*db));
  home.vault_ = std::make_unique<store::Vault>(vault_->another());
  auto key = home.key(client_key_name, rng);
  if (!key) return tl::unexpected(key.error());
  home.client_key_ = std::make_unique<crypto::Ed25519KeyPair>(std::move(*key));
  return home;
}

}  // namespace keylink::runtime
