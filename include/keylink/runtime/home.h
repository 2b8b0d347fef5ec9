// A keylink home: the directory that holds one party's state (~/.keylink by default). Its database,
// keylink.db, holds every component's tables; its vault seals every secret in it; its Ed25519 key is
// the identity the relay knows this home by.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "keylink/base/result.h"
#include "keylink/base/rng.h"
#include "keylink/base/secret.h"
#include "keylink/crypto/argon2.h"
#include "keylink/crypto/ed25519.h"
#include "keylink/store/database.h"
#include "keylink/store/vault.h"

namespace keylink::runtime {

// Move-only. Thread-compatible: one thread uses a Home (and its Database) at a time.
class Home {
 public:
  // Opens the home in `dir`, creating the directory (mode 0700), the database and the vault on first
  // use. Commits reach the disk at WAL checkpoints (synchronous NORMAL): a commit survives kill -9 of
  // the process, and a power loss cannot corrupt the file. Fails with kWrongPassphrase, or an error
  // that names the file.
  static Result<Home> open(const std::filesystem::path& dir, const SecretBytes& passphrase, Rng& rng,
                           const crypto::Argon2Params& params = {});
  // Whether `dir` holds a home's database already (open() would not make a new vault).
  static bool exists(const std::filesystem::path& dir);
  // The same home over a connection of its own, for another thread (each thread uses its own Home):
  // the vault is copied, not derived again. Its relay client key is the home's key named
  // `client_key_name`: another name gives its relay connection a client of its own. Another
  // `database_file` (in the home's directory, made on first use, sealed by the same vault) keeps state
  // that must commit while the home's database is in a transaction: its keys are that file's.
  Result<Home> another_connection(Rng& rng, std::string_view client_key_name = kClientKeyName,
                                  std::string_view database_file = kDatabaseFile) const;
  // The home's Ed25519 key of that name (a random seed, kept sealed, made on first use).
  Result<crypto::Ed25519KeyPair> key(std::string_view name, Rng& rng);
  static constexpr std::string_view kClientKeyName = "relay-client-key";
  static constexpr std::string_view kDatabaseFile = "keylink.db";

  store::Database& db() noexcept { return *db_; }
  const store::Vault& vault() const noexcept { return *vault_; }
  // The relay client key (relay-auth), made on first use and kept sealed.
  const crypto::Ed25519KeyPair& client_key() const noexcept { return *client_key_; }
  const std::filesystem::path& dir() const noexcept { return dir_; }

 private:
  Home() = default;
  std::filesystem::path dir_;
  std::unique_ptr<store::Database> db_;  // on the heap: statements and stores keep its address
  std::unique_ptr<store::Vault> vault_;
  std::unique_ptr<crypto::Ed25519KeyPair> client_key_;
};

}  // namespace keylink::runtime
