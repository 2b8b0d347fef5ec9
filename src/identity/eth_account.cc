#include "keylink/identity/eth_account.h"

#include <algorithm>
#include <utility>

#include "keylink/base/check.h"
#include "keylink/identity/bip32.h"
#include "keylink/store/errors.h"
#include "keylink/store/transaction.h"

namespace keylink::identity {
namespace {

// CHECK (id = 1): a home has one account; a second INSERT is a constraint error, never a second key.
constexpr const char* kCreateTable = R"sql(
  CREATE TABLE IF NOT EXISTS eth_account (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    sealed_key BLOB NOT NULL,
    address TEXT NOT NULL)
)sql";

constexpr const char* kCreateMnemonicTable = R"sql(
  CREATE TABLE IF NOT EXISTS wallet_mnemonic (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    sealed_entropy BLOB NOT NULL)
)sql";

struct AccountRow {
  Bytes sealed_key;
  std::string address;
};

// What a person is told a refused prefix is for.
std::string_view why_reserved(std::string_view prefix) {
  if (prefix == kKeylinkPrefix) return "which keylink reserves for its own statements";
  return "which XMTP reserves for creating, unlocking or authorizing a messaging identity";
}

// IMMEDIATE: two processes creating the account of one new home must not both make a key.
Result<std::optional<store::Transaction>> begin_unless_open(store::Database& db) {
  if (db.in_transaction()) return std::optional<store::Transaction>();
  auto txn = store::Transaction::begin(db);
  if (!txn) return fail(txn.error());
  return std::optional<store::Transaction>(std::move(*txn));
}

Result<bool> has_table(store::Database& db, std::string_view name = "eth_account") {
  auto select = db.prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1");
  if (!select) return fail(select.error());
  select->bind_text(1, name);
  auto step = select->step();
  if (!step) return fail(step.error());
  const bool found = select->column_int64(0) > 0;
  select->reset();
  return found;
}

// REQUIRES: the table exists.
Result<std::optional<AccountRow>> read_row(store::Database& db) {
  auto select = db.prepare("SELECT sealed_key, address FROM eth_account WHERE id = 1");
  if (!select) return fail(select.error());
  auto step = select->step();
  if (!step) return fail(step.error());
  if (*step == store::Statement::Step::kDone) return std::optional<AccountRow>();
  const ByteView sealed = select->column_blob(0);
  AccountRow row{Bytes(sealed.begin(), sealed.end()), std::string(select->column_text(1))};
  select->reset();
  return std::optional<AccountRow>(std::move(row));
}

// The address column is in the clear: a row whose address is not the sealed key's was tampered with.
Result<crypto::Secp256k1PrivateKey> open_row(const store::Database& db, const AccountRow& row,
                                             const store::Vault& vault) {
  const std::string where = "eth account in " + db.path();
  auto secret = vault.open_fixed<32>(row.sealed_key, kEthAccountLabel);
  if (!secret) return fail(context(where, secret.error()));
  auto key = crypto::Secp256k1PrivateKey::from_bytes(*secret);
  if (!key) return fail(store::Errc::kCorrupt, where + ": the sealed key is not a secp256k1 key");
  auto stored = crypto::EthAddress::parse(row.address);
  if (!stored || !(*stored == crypto::EthAddress::from_public_key(key->public_key()))) {
    return fail(store::Errc::kCorrupt, where + ": the stored address " + row.address + " is not the key's");
  }
  return std::move(*key);
}

Result<void> write_row(store::Database& db, const store::Vault& vault, Rng& rng,
                       const crypto::Secp256k1PrivateKey& key) {
  auto insert = db.prepare("INSERT INTO eth_account (id, sealed_key, address) VALUES (1, ?1, ?2)");
  if (!insert) return fail(insert.error());
  insert->bind_blob(1, vault.seal(key.secret().expose(), kEthAccountLabel, rng))
      .bind_text(2, crypto::EthAddress::from_public_key(key.public_key()).to_string());
  return insert->run();
}

// REQUIRES: the table exists.
Result<std::optional<Bytes>> read_sealed_mnemonic(store::Database& db) {
  auto select = db.prepare("SELECT sealed_entropy FROM wallet_mnemonic WHERE id = 1");
  if (!select) return fail(select.error());
  auto step = select->step();
  if (!step) return fail(step.error());
  if (*step == store::Statement::Step::kDone) return std::optional<Bytes>();
  const ByteView sealed = select->column_blob(0);
  Bytes out(sealed.begin(), sealed.end());
  select->reset();
  return std::optional<Bytes>(std::move(out));
}

Result<void> write_mnemonic(store::Database& db, const store::Vault& vault, Rng& rng, const Mnemonic& mnemonic) {
  if (auto made = db.exec(kCreateMnemonicTable); !made) return fail(made.error());
  auto insert = db.prepare("INSERT INTO wallet_mnemonic (id, sealed_entropy) VALUES (1, ?1)");
  if (!insert) return fail(insert.error());
  insert->bind_blob(1, vault.seal(mnemonic.entropy().expose(), kWalletMnemonicLabel, rng));
  return insert->run();
}

// "<prefix>\n" + lowercase hex of min_bytes..max_bytes bytes + kXmtpFooter, exactly.
bool is_xmtp_text(std::string_view text, std::string_view prefix, std::size_t min_bytes, std::size_t max_bytes) {
  if (!text.starts_with(prefix) || !text.ends_with(kXmtpFooter)) return false;
  text.remove_prefix(prefix.size());
  text.remove_suffix(kXmtpFooter.size());
  if (!text.starts_with('\n')) return false;
  text.remove_prefix(1);
  if (text.size() % 2 != 0 || text.size() < 2 * min_bytes || text.size() > 2 * max_bytes) return false;
  return std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

Result<crypto::Secp256k1PrivateKey> eth_account_key(const Mnemonic& mnemonic) {
  auto seed = mnemonic.seed();
  KEYLINK_CHECK(seed.has_value());  // an empty passphrase is always accepted
  auto master = ExtendedPrivateKey::from_seed(seed->expose());
  if (!master) return fail(master.error());
  auto account = master->derive_path(kEthereumAccountPath);
  if (!account) return fail(account.error());
  return crypto::Secp256k1PrivateKey::from_bytes(account->private_key().secret());
}

std::optional<std::string_view> reserved_prefix(std::string_view text) {
  for (std::string_view prefix : kReservedPrefixes) {
    if (text.starts_with(prefix)) return prefix;
  }
  return std::nullopt;
}

bool is_reserved_message(std::string_view text) { return reserved_prefix(text).has_value(); }

Result<EthAccount> EthAccount::load_or_create(store::Database& db, const store::Vault& vault, Rng& rng) {
  auto txn = begin_unless_open(db);
  if (!txn) return fail(txn.error());
  if (auto made = db.exec(kCreateTable); !made) return fail(made.error());
  auto row = read_row(db);
  if (!row) return fail(row.error());
  auto key = *row ? open_row(db, **row, vault)
                  : Result<crypto::Secp256k1PrivateKey>(crypto::Secp256k1PrivateKey::generate(rng));
  if (!key) return fail(key.error());
  if (!*row) {
    if (auto written = write_row(db, vault, rng, *key); !written) return fail(written.error());
  }
  if (*txn) {
    if (auto committed = (*txn)->commit(); !committed) return fail(committed.error());
  }
  const auto address = crypto::EthAddress::from_public_key(key->public_key());
  return EthAccount(std::move(*key), address);
}

Result<EthAccount> EthAccount::load(store::Database& db, const store::Vault& vault) {
  auto table = has_table(db);
  if (!table) return fail(table.error());
  auto row = *table ? read_row(db) : Result<std::optional<AccountRow>>(std::nullopt);
  if (!row) return fail(row.error());
  if (!*row) return fail(Errc::kNoAccount, "the home " + db.path() + " has no eth account yet: create or import one");
  auto key = open_row(db, **row, vault);
  if (!key) return fail(key.error());
  const auto address = crypto::EthAddress::from_public_key(key->public_key());
  return EthAccount(std::move(*key), address);
}

Result<EthAccount> EthAccount::import(store::Database& db, const store::Vault& vault, Rng& rng,
                                      const Secret<32>& private_key) {
  auto key = crypto::Secp256k1PrivateKey::from_bytes(private_key);
  if (!key) return fail(context("importing an eth account", key.error()));
  auto txn = begin_unless_open(db);
  if (!txn) return fail(txn.error());
  if (auto made = db.exec(kCreateTable); !made) return fail(made.error());
  auto row = read_row(db);
  if (!row) return fail(row.error());
  if (*row) {
    return fail(Errc::kAccountExists, "the home " + db.path() + " has an eth account already (" + (*row)->address +
                                          "); importing another would lose its key");
  }
  if (auto written = write_row(db, vault, rng, *key); !written) return fail(written.error());
  if (*txn) {
    if (auto committed = (*txn)->commit(); !committed) return fail(committed.error());
  }
  const auto address = crypto::EthAddress::from_public_key(key->public_key());
  return EthAccount(std::move(*key), address);
}

Result<EthAccount> EthAccount::restore(store::Database& db, const store::Vault& vault, Rng& rng,
                                       const Mnemonic& mnemonic) {
  auto key = eth_account_key(mnemonic);
  if (!key) return fail(context("restoring an eth account from a mnemonic", key.error()));
  auto txn = begin_unless_open(db);
  if (!txn) return fail(txn.error());
  // Inside txn: the account and its mnemonic are written together or not at all.
  auto account = import(db, vault, rng, key->secret());
  if (!account) return fail(account.error());
  if (auto written = write_mnemonic(db, vault, rng, mnemonic); !written) return fail(written.error());
  if (*txn) {
    if (auto committed = (*txn)->commit(); !committed) return fail(committed.error());
  }
  return account;
}

Result<Mnemonic> EthAccount::load_mnemonic(store::Database& db, const store::Vault& vault) {
  auto table = has_table(db, "wallet_mnemonic");
  if (!table) return fail(table.error());
  auto sealed = *table ? read_sealed_mnemonic(db) : Result<std::optional<Bytes>>(std::nullopt);
  if (!sealed) return fail(sealed.error());
  if (!*sealed) {
    return fail(Errc::kNoMnemonic,
                "the eth account of " + db.path() + " was not made from a mnemonic: there are no words to show");
  }
  const std::string where = "wallet mnemonic in " + db.path();
  auto entropy = vault.open(**sealed, kWalletMnemonicLabel);
  if (!entropy) return fail(context(where, entropy.error()));
  auto mnemonic = Mnemonic::from_entropy(entropy->expose());
  if (!mnemonic) return fail(store::Errc::kCorrupt, where + ": the sealed entropy is not a BIP39 size");
  // A backup that does not restore this account would be worse than none.
  auto account = load(db, vault);
  if (!account) return fail(context(where, account.error()));
  auto key = eth_account_key(*mnemonic);
  if (!key || !(crypto::EthAddress::from_public_key(key->public_key()) == account->address())) {
    return fail(store::Errc::kCorrupt,
                where + ": the mnemonic does not derive the account " + account->address().to_string());
  }
  return std::move(*mnemonic);
}

Result<void> EthAccount::forget_mnemonic(store::Database& db) {
  auto table = has_table(db, "wallet_mnemonic");
  if (!table) return fail(table.error());
  // The row goes; SQLite's free pages may still hold the sealed bytes, which the vault key alone opens.
  return *table ? db.exec("DELETE FROM wallet_mnemonic") : Result<void>();
}

Result<crypto::EthSignature> EthAccount::personal_sign(ByteView message) const {
  if (auto prefix = reserved_prefix(as_chars(message))) {
    return fail(Errc::kReservedMessage, "refusing to sign: the text begins with \"" + std::string(*prefix) + "\", " +
                                            std::string(why_reserved(*prefix)) + "; an app must never ask for it");
  }
  return crypto::personal_sign(key_, message);
}

Result<crypto::EthSignature> EthAccount::sign_own_xmtp_text(std::string_view text) const {
  // The unsigned key a wallet vouches for is a PublicKey{timestamp, secp256k1_uncompressed} (~80 bytes);
  // the pre-key of a backup is 32 bytes (NetworkKeyManager.toEncryptedBytes).
  if (!is_xmtp_text(text, kXmtpCreateIdentityPrefix, 1, 256) &&
      !is_xmtp_text(text, kXmtpEnableIdentityPrefix, 32, 32)) {
    return fail(Errc::kReservedMessage,
                "refusing to sign: sign_own_xmtp_text signs only the XMTP \"Create Identity\" and \"Enable Identity\" "
                "texts of this account's own identity");
  }
  return crypto::personal_sign(key_, as_bytes(text));
}

}  // namespace keylink::identity
