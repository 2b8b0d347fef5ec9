#include "keylink/identity/eth_account.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "keylink/base/encoding.h"
#include "keylink/crypto/errors.h"
#include "keylink/store/errors.h"
#include "keylink/store/transaction.h"
#include "testing/temp_dir.h"
#include "testing/vectors.h"

namespace keylink::identity {
namespace {

using keylink::testing::hex_array;
using keylink::testing::hex_secret;
using keylink::testing::load_vectors;
using keylink::testing::TempDir;

// A home: its database and vault, with Argon2id parameters small enough for tests. Homes made from the
// same seed share a data key (the rng makes it), so homes that must differ take different seeds.
struct TestHome {
  explicit TestHome(const std::string& path, std::uint64_t seed = 42, std::string_view passphrase = "pass")
      : rng(seed),
        db(store::Database::open(path).value()),
        vault(store::Vault::open(db, SecretBytes(as_bytes(passphrase)), rng, {1, std::size_t{8} << 20}).value()) {}
  FixedRng rng;
  store::Database db;
  store::Vault vault;
};

TEST(EthAccount, SignsTheWeb3jsVector) {
  TempDir dir;
  TestHome home(dir.file("home.db"));
  for (const auto& v : load_vectors("eth_personal_sign.txt")) {
    auto account = EthAccount::import(home.db, home.vault, home.rng, hex_secret<32>(v.at("private")));
    ASSERT_TRUE(account) << account.error().message;
    EXPECT_EQ(account->address().to_string(), v.at("address"));
    const Bytes message = to_bytes(v.at("message"));
    auto signature = account->personal_sign(message);
    ASSERT_TRUE(signature) << signature.error().message;
    EXPECT_EQ(to_hex(*signature), v.at("signature"));
    auto signer = crypto::personal_sign_recover(message, *signature);
    ASSERT_TRUE(signer) << signer.error().message;
    EXPECT_EQ(*signer, account->address());
  }
}

TEST(EthAccount, RefusesReservedTexts) {
  TempDir dir;
  TestHome home(dir.file("home.db"));
  const auto account = EthAccount::load_or_create(home.db, home.vault, home.rng).value();
  const std::string footer = "\n\nFor more info: https://xmtp.org/signatures/";
  const std::string hex_key(130, 'a');
  const std::string create = "XMTP : Create Identity\n" + hex_key + footer;
  auto refused = account.personal_sign(as_bytes(create));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::kReservedMessage);
  EXPECT_EQ(refused.error().message,
            "refusing to sign: the text begins with \"XMTP : \", which XMTP reserves for creating, unlocking or "
            "authorizing a messaging identity; an app must never ask for it");
  // Every "XMTP : " text, also those XMTP added after v2 (installations, inbox ids) or may add.
  for (const std::string& text :
       {"XMTP : Enable Identity\n" + std::string(64, '0') + footer, std::string("keylink : bind device"),
        std::string("XMTP : Create Identity"), std::string("XMTP : Authenticate to inbox\n\nInbox ID: 1234"),
        std::string("XMTP : Grant Messaging Access"), std::string("XMTP : ")}) {
    EXPECT_TRUE(is_reserved_message(text)) << text;
    auto signed_text = account.personal_sign(as_bytes(text));
    ASSERT_FALSE(signed_text) << text;
    EXPECT_EQ(signed_text.error().code, Errc::kReservedMessage);
    EXPECT_NE(signed_text.error().message.find(std::string(*reserved_prefix(text))), std::string::npos);
  }
}

TEST(EthAccount, SignsTextsThatOnlyResembleReservedOnes) {
  TempDir dir;
  TestHome home(dir.file("home.db"));
  const auto account = EthAccount::load_or_create(home.db, home.vault, home.rng).value();
  // The signature covers the exact bytes: none of these is of use to XMTP or to keylink.
  for (std::string_view text :
       {"Some data", "", "xmtp : create identity\n", " XMTP : Create Identity\n", "XMTP :Create Identity",
        "XMTP: Create Identity", "Sign in: XMTP : Create Identity", "keylink: hello"}) {
    EXPECT_FALSE(is_reserved_message(text)) << text;
    auto signature = account.personal_sign(as_bytes(text));
    ASSERT_TRUE(signature) << text;
    EXPECT_EQ(crypto::personal_sign_recover(as_bytes(text), *signature).value(), account.address());
  }
}

TEST(EthAccount, PersistsAcrossReopen) {
  TempDir dir;
  std::string address;
  {
    TestHome home(dir.file("home.db"));
    auto made = EthAccount::load_or_create(home.db, home.vault, home.rng);
    ASSERT_TRUE(made) << made.error().message;
    address = made->address().to_string();
  }
  TestHome home(dir.file("home.db"));
  auto loaded = EthAccount::load(home.db, home.vault);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->address().to_string(), address);
  auto again = EthAccount::load_or_create(home.db, home.vault, home.rng);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->address().to_string(), address);
  const Bytes message = to_bytes("hello");
  EXPECT_EQ(crypto::personal_sign_recover(message, loaded->personal_sign(message).value())->to_string(), address);
}

TEST(EthAccount, LoadOnAnEmptyHomeIsNoAccount) {
  TempDir dir;
  TestHome home(dir.file("home.db"));
  auto loaded = EthAccount::load(home.db, home.vault);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, Errc::kNoAccount);
  ASSERT_TRUE(
      home.db.exec("CREATE TABLE eth_account (id INTEGER PRIMARY KEY CHECK (id = 1), sealed_key BLOB NOT NULL, "
                   "address TEXT NOT NULL)"));
  auto empty_table = EthAccount::load(home.db, home.vault);
  ASSERT_FALSE(empty_table);
  EXPECT_EQ(empty_table.error().code, Errc::kNoAccount);
}

TEST(EthAccount, ImportKeepsAnExistingAccount) {
  TempDir dir;
  TestHome home(dir.file("home.db"));
  const auto made = EthAccount::load_or_create(home.db, home.vault, home.rng).value();
  auto imported =
      EthAccount::import(home.db, home.vault, home.rng,
                         hex_secret<32>("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"));
  ASSERT_FALSE(imported);
  EXPECT_EQ(imported.error().code, Errc::kAccountExists);
  EXPECT_EQ(EthAccount::load(home.db, home.vault)->address(), made.address());
}

TEST(EthAccount, ImportRefusesAKeyOffTheCurve) {
  TempDir dir;
  TestHome home(dir.file("home.db"));
  auto zero = EthAccount::import(home.db, home.vault, home.rng, Secret<32>());
  ASSERT_FALSE(zero);
  EXPECT_EQ(zero.error().code, crypto::Errc::kBadKey);
  EXPECT_EQ(EthAccount::load(home.db, home.vault).error().code, Errc::kNoAccount);
}

TEST(EthAccount, ATamperedRowIsCorrupt) {
  TempDir dir;
  TestHome home(dir.file("home.db"));
  ASSERT_TRUE(EthAccount::load_or_create(home.db, home.vault, home.rng));
  ASSERT_TRUE(home.db.exec("UPDATE eth_account SET address = '0x2c7536E3605D9C16a7a3D7b1898e529396a65c23'"));
  auto swapped = EthAccount::load(home.db, home.vault);
  ASSERT_FALSE(swapped);
  EXPECT_EQ(swapped.error().code, store::Errc::kCorrupt);
  auto not_created_over = EthAccount::load_or_create(home.db, home.vault, home.rng);
  ASSERT_FALSE(not_created_over) << "a damaged account is reported, never replaced";
  EXPECT_EQ(not_created_over.error().code, store::Errc::kCorrupt);
}

TEST(EthAccount, AnotherHomesVaultDoesNotOpenTheKey) {
  TempDir dir;
  TestHome home(dir.file("home.db"));
  ASSERT_TRUE(EthAccount::load_or_create(home.db, home.vault, home.rng));
  TestHome other(dir.file("other.db"), 43);
  auto loaded = EthAccount::load(home.db, other.vault);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, store::Errc::kCorrupt);
}

TEST(EthAccount, CreatesInsideTheCallersTransaction) {
  TempDir dir;
  TestHome home(dir.file("home.db"));
  {
    auto txn = store::Transaction::begin(home.db);
    ASSERT_TRUE(txn);
    ASSERT_TRUE(EthAccount::load_or_create(home.db, home.vault, home.rng));
    EXPECT_TRUE(home.db.in_transaction());
  }  // rolled back with the caller's transaction
  EXPECT_EQ(EthAccount::load(home.db, home.vault).error().code, Errc::kNoAccount);
}

constexpr std::string_view kHardhatMnemonic = "test test test test test test test test test test test junk";
constexpr std::string_view kHardhatAddress = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

std::string phrase_of(const Mnemonic& mnemonic) { return std::string(as_chars(mnemonic.phrase().expose())); }

TEST(EthAccount, RestoresFromAMnemonic) {
  TempDir dir;
  {
    TestHome home(dir.file("home.db"));
    auto restored = EthAccount::restore(home.db, home.vault, home.rng, Mnemonic::parse(kHardhatMnemonic).value());
    ASSERT_TRUE(restored) << restored.error().message;
    EXPECT_EQ(restored->address().to_string(), kHardhatAddress);
  }
  TestHome home(dir.file("home.db"));
  EXPECT_EQ(EthAccount::load(home.db, home.vault)->address().to_string(), kHardhatAddress);
  auto words = EthAccount::load_mnemonic(home.db, home.vault);
  ASSERT_TRUE(words) << words.error().message;
  EXPECT_EQ(phrase_of(*words), kHardhatMnemonic);
}

TEST(EthAccount, KeepsTheMnemonicOnlySealed) {
  TempDir dir;
  TestHome home(dir.file("home.db"));
  const auto mnemonic = Mnemonic::parse(kHardhatMnemonic).value();
  ASSERT_TRUE(EthAccount::restore(home.db, home.vault, home.rng, mnemonic));
  auto select = home.db.prepare("SELECT sealed_entropy FROM wallet_mnemonic");
  ASSERT_TRUE(select && select->step());
  const ByteView sealed = select->column_blob(0);
  EXPECT_EQ(sealed.size(), mnemonic.entropy().size() + store::kSealedOverhead);
  EXPECT_EQ(
      std::search(sealed.begin(), sealed.end(), mnemonic.entropy().expose().begin(), mnemonic.entropy().expose().end()),
      sealed.end());
  EXPECT_FALSE(home.vault.open(sealed, kEthAccountLabel)) << "sealed under its own label";
}

TEST(EthAccount, RestoreKeepsAnExistingAccount) {
  TempDir dir;
  TestHome home(dir.file("home.db"));
  const auto made = EthAccount::load_or_create(home.db, home.vault, home.rng).value();
  auto restored = EthAccount::restore(home.db, home.vault, home.rng, Mnemonic::parse(kHardhatMnemonic).value());
  ASSERT_FALSE(restored);
  EXPECT_EQ(restored.error().code, Errc::kAccountExists);
  EXPECT_EQ(EthAccount::load(home.db, home.vault)->address(), made.address());
  auto words = EthAccount::load_mnemonic(home.db, home.vault);
  ASSERT_FALSE(words) << "the failed restore left no mnemonic behind";
  EXPECT_EQ(words.error().code, Errc::kNoMnemonic);
}

TEST(EthAccount, ARandomOrImportedAccountHasNoMnemonic) {
  TempDir dir;
  TestHome home(dir.file("home.db"));
  EXPECT_EQ(EthAccount::load_mnemonic(home.db, home.vault).error().code, Errc::kNoMnemonic);
  ASSERT_TRUE(EthAccount::load_or_create(home.db, home.vault, home.rng));
  auto words = EthAccount::load_mnemonic(home.db, home.vault);
  ASSERT_FALSE(words);
  EXPECT_EQ(words.error().code, Errc::kNoMnemonic);
}

TEST(EthAccount, RestoresInsideTheCallersTransaction) {
  TempDir dir;
  TestHome home(dir.file("home.db"));
  {
    auto txn = store::Transaction::begin(home.db);
    ASSERT_TRUE(txn);
    ASSERT_TRUE(EthAccount::restore(home.db, home.vault, home.rng, Mnemonic::parse(kHardhatMnemonic).value()));
  }  // rolled back: neither the account nor the mnemonic stays
  EXPECT_EQ(EthAccount::load(home.db, home.vault).error().code, Errc::kNoAccount);
  EXPECT_EQ(EthAccount::load_mnemonic(home.db, home.vault).error().code, Errc::kNoMnemonic);
}

TEST(EthAccount, AMnemonicThatIsNotTheAccountsIsCorrupt) {
  TempDir dir;
  TestHome home(dir.file("home.db"));
  ASSERT_TRUE(EthAccount::restore(home.db, home.vault, home.rng, Mnemonic::parse(kHardhatMnemonic).value()));
  // Sealed by this very vault under the right label, but other words: a backup of them would not restore
  // this account.
  const Bytes other = home.vault.seal(Bytes(16, 0), kWalletMnemonicLabel, home.rng);
  auto update = home.db.prepare("UPDATE wallet_mnemonic SET sealed_entropy = ?1");
  ASSERT_TRUE(update);
  update->bind_blob(1, other);
  ASSERT_TRUE(update->run());
  auto words = EthAccount::load_mnemonic(home.db, home.vault);
  ASSERT_FALSE(words);
  EXPECT_EQ(words.error().code, store::Errc::kCorrupt);
  EXPECT_NE(words.error().message.find("does not derive the account " + std::string(kHardhatAddress)),
            std::string::npos);
  ASSERT_TRUE(home.db.exec("UPDATE wallet_mnemonic SET sealed_entropy = x'00'"));
  EXPECT_EQ(EthAccount::load_mnemonic(home.db, home.vault).error().code, store::Errc::kCorrupt);
}

TEST(EthAccount, ForgetsTheMnemonicAfterABackup) {
  TempDir dir;
  TestHome home(dir.file("home.db"));
  ASSERT_TRUE(EthAccount::forget_mnemonic(home.db)) << "nothing to forget is fine";
  ASSERT_TRUE(EthAccount::restore(home.db, home.vault, home.rng, Mnemonic::parse(kHardhatMnemonic).value()));
  ASSERT_TRUE(EthAccount::load_mnemonic(home.db, home.vault));
  ASSERT_TRUE(EthAccount::forget_mnemonic(home.db));
  EXPECT_EQ(EthAccount::load_mnemonic(home.db, home.vault).error().code, Errc::kNoMnemonic);
  EXPECT_EQ(EthAccount::load(home.db, home.vault)->address().to_string(), kHardhatAddress);
}

TEST(EthAccount, KeyOfAMnemonicIsBip44sFirstAccount) {
  auto key = eth_account_key(Mnemonic::parse(kHardhatMnemonic).value());
  ASSERT_TRUE(key);
  EXPECT_EQ(crypto::EthAddress::from_public_key(key->public_key()).to_string(), kHardhatAddress);
}

}  // namespace
}  // namespace keylink::identity
