#include "keylink/store/vault.h"

#include <gtest/gtest.h>

#include "keylink/crypto/errors.h"
#include "keylink/store/transaction.h"
#include "testing/temp_dir.h"

namespace keylink::store {
namespace {

using keylink::testing::TempDir;

// Small Argon2id parameters keep each open to milliseconds.
const crypto::Argon2Params kFast{1, std::size_t{8} << 20};

SecretBytes passphrase(std::string_view text) { return SecretBytes(as_bytes(text)); }

Vault open_vault(Database& db, std::string_view text, Rng& rng) {
  auto vault = Vault::open(db, passphrase(text), rng, kFast);
  EXPECT_TRUE(vault) << vault.error().message;
  return std::move(vault.value());
}

struct StoredParams {
  std::int64_t iterations;
  std::int64_t memory_bytes;
};

StoredParams stored_params(Database& db) {
  auto select = db.prepare("SELECT iterations, memory_bytes FROM vault");
  EXPECT_EQ(select->step().value(), Statement::Step::kRow);
  return {select->column_int64(0), select->column_int64(1)};
}

TEST(Vault, SealsAndOpens) {
  TempDir dir;
  FixedRng rng(1);
  auto db = Database::open(dir.file("home.db"));
  const Vault vault = open_vault(*db, "correct horse", rng);
  const Bytes secret = to_bytes("a 32-byte secret, give or take..");
  const Bytes sealed = vault.seal(secret, "keychain:abc", rng);
  ASSERT_EQ(sealed.size(), secret.size() + kSealedOverhead);
  EXPECT_EQ(sealed[0], 1);
  auto opened = vault.open(sealed, "keychain:abc");
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_EQ(*opened, SecretBytes(secret));
  auto fixed = vault.open_fixed<32>(sealed, "keychain:abc");
  ASSERT_TRUE(fixed) << fixed.error().message;
  EXPECT_EQ(*fixed, Secret<32>(secret));
  EXPECT_NE(vault.seal(secret, "keychain:abc", rng), sealed) << "a fresh nonce for every seal";
  auto empty = vault.open(vault.seal({}, "empty", rng), "empty");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

TEST(Vault, WrongPassphraseIsRefused) {
  TempDir dir;
  FixedRng rng(2);
  auto db = Database::open(dir.file("home.db"));
  open_vault(*db, "correct horse", rng);
  auto wrong = Vault::open(*db, passphrase("correct hose"), rng, kFast);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, Errc::kWrongPassphrase);
  EXPECT_NE(wrong.error().message.find("home.db"), std::string::npos) << wrong.error().message;
  EXPECT_EQ(stored_params(*db).iterations, 1) << "a failed open leaves the row as it was";
}

TEST(Vault, WrongLabelDoesNotOpen) {
  TempDir dir;
  FixedRng rng(3);
  auto db = Database::open(dir.file("home.db"));
  const Vault vault = open_vault(*db, "pass", rng);
  const Bytes sealed = vault.seal(to_bytes("secret"), "keychain:topic-a", rng);
  auto moved = vault.open(sealed, "keychain:topic-b");
  ASSERT_FALSE(moved);
  EXPECT_EQ(moved.error().code, Errc::kCorrupt);
  EXPECT_EQ(moved.error().message,
            "sealed secret keychain:topic-b does not open (tampered, or moved from another row)");
}

TEST(Vault, EveryTamperedByteIsCaught) {
  TempDir dir;
  FixedRng rng(4);
  auto db = Database::open(dir.file("home.db"));
  const Vault vault = open_vault(*db, "pass", rng);
  const Bytes sealed = vault.seal(to_bytes("secret"), "label", rng);
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    Bytes tampered = sealed;
    tampered[i] ^= 0x01;
    auto opened = vault.open(tampered, "label");
    ASSERT_FALSE(opened) << "byte " << i;
    EXPECT_EQ(opened.error().code, Errc::kCorrupt);
  }
  for (std::size_t size = 0; size < kSealedOverhead; ++size) {
    EXPECT_FALSE(vault.open(ByteView(sealed).first(size), "label")) << "truncated to " << size;
  }
}

TEST(Vault, ReopenWithThePassphraseOpensOldSeals) {
  TempDir dir;
  FixedRng rng(5);
  Bytes sealed;
  {
    auto db = Database::open(dir.file("home.db"));
    sealed = open_vault(*db, "pass", rng).seal(to_bytes("kept"), "label", rng);
  }
  auto db = Database::open(dir.file("home.db"));
  auto opened = open_vault(*db, "pass", rng).open(sealed, "label");
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_EQ(as_chars(opened->expose()), "kept");
}

TEST(Vault, AnotherHomesVaultDoesNotOpenTheSeal) {
  TempDir dir;
  FixedRng rng(6);
  auto db_a = Database::open(dir.file("a.db"));
  auto db_b = Database::open(dir.file("b.db"));
  const Bytes sealed = open_vault(*db_a, "pass", rng).seal(to_bytes("secret"), "label", rng);
  EXPECT_FALSE(open_vault(*db_b, "pass", rng).open(sealed, "label")) << "each home has its own data key";
}

TEST(Vault, TheStoredParametersWin) {
  TempDir dir;
  FixedRng rng(7);
  auto db = Database::open(dir.file("home.db"));
  const Bytes sealed = open_vault(*db, "pass", rng).seal(to_bytes("secret"), "label", rng);
  const StoredParams params = stored_params(*db);
  EXPECT_EQ(params.iterations, 1);
  EXPECT_EQ(params.memory_bytes, std::int64_t{8} << 20);
  auto reopened = Vault::open(*db, passphrase("pass"), rng);  // the default parameters
  ASSERT_TRUE(reopened) << reopened.error().message;
  EXPECT_TRUE(reopened->open(sealed, "label"));
}

TEST(Vault, OpenFixedChecksTheSize) {
  TempDir dir;
  FixedRng rng(8);
  auto db = Database::open(dir.file("home.db"));
  const Vault vault = open_vault(*db, "pass", rng);
  auto fixed = vault.open_fixed<32>(vault.seal(Bytes(31, 7), "label", rng), "label");
  ASSERT_FALSE(fixed);
  EXPECT_EQ(fixed.error().code, Errc::kCorrupt);
  EXPECT_EQ(fixed.error().message, "sealed secret label holds 31 bytes, expected 32");
}

TEST(Vault, OpensInsideTheCallersTransaction) {
  TempDir dir;
  FixedRng rng(9);
  auto db = Database::open(dir.file("home.db"));
  {
    auto txn = Transaction::begin(*db);
    ASSERT_TRUE(txn);
    open_vault(*db, "pass", rng);
    EXPECT_TRUE(db->in_transaction());
  }  // rolled back: no vault was made
  auto other = Vault::open(*db, passphrase("another"), rng, kFast);
  EXPECT_TRUE(other) << "the first vault was rolled back with its transaction";
}

TEST(Vault, DamagedOrNewerRowsAreRefused) {
  TempDir dir;
  FixedRng rng(10);
  auto db = Database::open(dir.file("home.db"));
  open_vault(*db, "pass", rng);
  ASSERT_TRUE(db->exec("UPDATE vault SET memory_bytes = 1099511627776"));
  auto huge = Vault::open(*db, passphrase("pass"), rng);
  ASSERT_FALSE(huge);
  EXPECT_EQ(huge.error().code, Errc::kCorrupt) << huge.error().message;
  ASSERT_TRUE(db->exec("UPDATE vault SET memory_bytes = 8388608, salt = x'00'"));
  auto short_salt = Vault::open(*db, passphrase("pass"), rng);
  ASSERT_FALSE(short_salt);
  EXPECT_EQ(short_salt.error().code, Errc::kCorrupt);
  ASSERT_TRUE(db->exec("UPDATE vault SET version = 2"));
  auto newer = Vault::open(*db, passphrase("pass"), rng);
  ASSERT_FALSE(newer);
  EXPECT_EQ(newer.error().code, Errc::kIncompatible);
}

TEST(Vault, ParametersOverTheLimitsAreRefusedAtCreation) {
  TempDir dir;
  FixedRng rng(11);
  auto db = Database::open(dir.file("home.db"));
  auto vault = Vault::open(*db, passphrase("pass"), rng, {kMaxVaultIterations + 1, std::size_t{8} << 20});
  ASSERT_FALSE(vault);
  EXPECT_EQ(vault.error().code, crypto::Errc::kUnsupported);
}

}  // namespace
}  // namespace keylink::store
