#include "keylink/store/vault.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "keylink/crypto/aead.h"
#include "keylink/crypto/errors.h"
#include "keylink/store/transaction.h"

namespace keylink::store {
namespace {

constexpr std::uint8_t kSealFormat = 1;
constexpr std::int64_t kVaultVersion = 1;
constexpr std::string_view kDataKeyAad = "keylink-vault-v1";
constexpr std::size_t kCiphertextAt = 1 + crypto::kAeadNonceSize;
constexpr std::size_t kMinVaultMemoryBytes = 8192;  // libsodium's crypto_pwhash_argon2id_MEMLIMIT_MIN

static_assert(kSealedOverhead == 1 + crypto::kAeadNonceSize + crypto::kAeadTagSize);

// CHECK (id = 1): a home has one vault; a second INSERT is a constraint error, not a second data key.
constexpr const char* kCreateTable = R"sql(
  CREATE TABLE IF NOT EXISTS vault (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL,
    salt BLOB NOT NULL,
    iterations INTEGER NOT NULL,
    memory_bytes INTEGER NOT NULL,
    sealed_key BLOB NOT NULL)
)sql";

struct VaultRow {
  std::int64_t version = 0;
  Bytes salt;
  std::int64_t iterations = 0;
  std::int64_t memory_bytes = 0;
  Bytes sealed_key;
};

Bytes seal_with(const Secret<32>& key, ByteView secret, ByteView aad, Rng& rng) {
  crypto::AeadNonce nonce;
  rng.fill(nonce);  // random nonces: 2^-32 odds of a repeat only after 2^32 seals under one data key
  Bytes sealed(secret.size() + kSealedOverhead);
  sealed[0] = kSealFormat;
  std::copy(nonce.begin(), nonce.end(), sealed.begin() + 1);
  crypto::chacha20poly1305_seal_into(key, nonce, secret, aad, std::span(sealed).subspan(kCiphertextAt));
  return sealed;
}

// Any failure (too short, another format, a tag that does not match) reads the same to the caller:
// the bytes are not what this key sealed under this AAD.
std::optional<SecretBytes> open_with(const Secret<32>& key, ByteView sealed, ByteView aad) {
  if (sealed.size() < kSealedOverhead || sealed[0] != kSealFormat) return std::nullopt;
  crypto::AeadNonce nonce;
  std::copy_n(sealed.begin() + 1, nonce.size(), nonce.begin());
  SecretBytes secret(sealed.size() - kSealedOverhead);
  if (!crypto::chacha20poly1305_open_into(key, nonce, sealed.subspan(kCiphertextAt), aad, secret.expose_mutable())) {
    return std::nullopt;
  }
  return secret;
}

Result<std::optional<VaultRow>> read_row(Database& db) {
  auto select = db.prepare("SELECT version, salt, iterations, memory_bytes, sealed_key FROM vault WHERE id = 1");
  if (!select) return fail(select.error());
  auto step = select->step();
  if (!step) return fail(step.error());
  if (*step == Statement::Step::kDone) return std::optional<VaultRow>();
  const ByteView salt = select->column_blob(1), sealed_key = select->column_blob(4);
  VaultRow row{select->column_int64(0), Bytes(salt.begin(), salt.end()), select->column_int64(2),
               select->column_int64(3), Bytes(sealed_key.begin(), sealed_key.end())};
  select->reset();
  return std::optional<VaultRow>(std::move(row));
}

Result<void> check_row(const Database& db, const VaultRow& row) {
  const std::string where = "vault of " + db.path();
  if (row.version > kVaultVersion) {
    return fail(Errc::kIncompatible, where + ": written by a newer keylink (vault version " +
                                         std::to_string(row.version) + "); upgrade keylink");
  }
  if (row.version != kVaultVersion || row.salt.size() != sizeof(crypto::Argon2Salt) ||
      row.sealed_key.size() != 32 + kSealedOverhead) {
    return fail(Errc::kCorrupt, where + ": damaged (bad version, salt or sealed key)");
  }
  if (row.iterations < 1 || static_cast<std::uint64_t>(row.iterations) > kMaxVaultIterations ||
      row.memory_bytes < static_cast<std::int64_t>(kMinVaultMemoryBytes) ||
      static_cast<std::uint64_t>(row.memory_bytes) > kMaxVaultMemoryBytes) {
    return fail(Errc::kCorrupt, where + ": damaged (Argon2id parameters out of bounds)");
  }
  return {};
}

Result<Secret<32>> unlock(const Database& db, const VaultRow& row, const SecretBytes& passphrase) {
  if (auto checked = check_row(db, row); !checked) return fail(checked.error());
  crypto::Argon2Salt salt;
  std::copy(row.salt.begin(), row.salt.end(), salt.begin());
  const crypto::Argon2Params stored{static_cast<std::uint64_t>(row.iterations),
                                    static_cast<std::size_t>(row.memory_bytes)};
  auto kek = crypto::argon2id(passphrase.expose(), salt, stored);
  if (!kek) return fail(context("vault of " + db.path(), kek.error()));
  // A wrong passphrase and a tampered sealed_key look alike; the first is by far the likelier.
  auto data_key = open_with(*kek, row.sealed_key, as_bytes(kDataKeyAad));
  if (!data_key || data_key->size() != 32) {
    return fail(Errc::kWrongPassphrase, "the passphrase does not open the vault of " + db.path());
  }
  return Secret<32>(data_key->expose());
}

Result<Secret<32>> create(Database& db, const SecretBytes& passphrase, Rng& rng, const crypto::Argon2Params& params) {
  // The same bounds a stored row is held to, so the vault made here opens again.
  if (params.iterations > kMaxVaultIterations || params.memory_bytes > kMaxVaultMemoryBytes) {
    return fail(crypto::Errc::kUnsupported, "vault: Argon2id parameters over keylink's limits (" +
                                                std::to_string(kMaxVaultIterations) + " iterations, " +
                                                std::to_string(kMaxVaultMemoryBytes) + " bytes)");
  }
  Secret<32> data_key;
  rng.fill(data_key.expose_mutable());
  const auto salt = rng.bytes<sizeof(crypto::Argon2Salt)>();
  auto kek = crypto::argon2id(passphrase.expose(), salt, params);
  if (!kek) return fail(context("vault", kek.error()));
  auto insert = db.prepare(
      "INSERT INTO vault (id, version, salt, iterations, memory_bytes, sealed_key) VALUES (1, ?1, ?2, ?3, ?4, ?5)");
  if (!insert) return fail(insert.error());
  insert->bind_int64(1, kVaultVersion)
      .bind_blob(2, salt)
      .bind_int64(3, static_cast<std::int64_t>(params.iterations))
      .bind_int64(4, static_cast<std::int64_t>(params.memory_bytes))
      .bind_blob(5, seal_with(*kek, data_key.expose(), as_bytes(kDataKeyAad), rng));
  if (auto ran = insert->run(); !ran) return fail(ran.error());
  return data_key;
}

}  // namespace

Result<Vault> Vault::open(Database& db, const SecretBytes& passphrase, Rng& rng, const crypto::Argon2Params& params) {
  // IMMEDIATE: two processes opening one new home must not both create a data key.
  std::optional<Transaction> txn;
  if (!db.in_transaction()) {
    auto began = Transaction::begin(db);
    if (!began) return fail(began.error());
    txn.emplace(std::move(*began));
  }
  if (auto made = db.exec(kCreateTable); !made) return fail(made.error());
  auto row = read_row(db);
  if (!row) return fail(row.error());
  auto key = *row ? unlock(db, **row, passphrase) : create(db, passphrase, rng, params);
  if (!key) return fail(key.error());
  if (txn) {
    if (auto committed = txn->commit(); !committed) return fail(committed.error());
  }
  return Vault(std::move(*key));
}

Bytes Vault::seal(ByteView secret, std::string_view label, Rng& rng) const {
  return seal_with(key_, secret, as_bytes(label), rng);
}

Result<SecretBytes> Vault::open(ByteView sealed, std::string_view label) const {
  auto secret = open_with(key_, sealed, as_bytes(label));
  if (!secret) {
    return fail(Errc::kCorrupt,
                "sealed secret " + std::string(label) + " does not open (tampered, or moved from another row)");
  }
  return std::move(*secret);
}

}  // namespace keylink::store
