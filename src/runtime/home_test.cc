#include "keylink/runtime/home.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <iterator>

#include "keylink/store/errors.h"
#include "testing/temp_dir.h"

namespace keylink::runtime {
namespace {

using keylink::testing::TempDir;

const crypto::Argon2Params kFastArgon2{1, std::size_t{8} << 20};

SecretBytes passphrase(std::string_view text) { return SecretBytes(as_bytes(text)); }

unsigned mode_of(const std::filesystem::path& path) {
  struct stat info {};
  EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
  return info.st_mode & 0777;
}

// Every byte of every file of the home: the database and its WAL.
std::string all_bytes(const std::filesystem::path& dir) {
  std::string bytes;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream file(entry.path(), std::ios::binary);
    bytes.append(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  }
  return bytes;
}

TEST(Home, IsCreatedPrivateAndReopensWithTheSameClientKey) {
  TempDir dir;
  const auto path = dir.path() / "nested" / "home";
  FixedRng rng(1);
  crypto::Ed25519PublicKey first_key{};
  {
    auto home = Home::open(path, passphrase("correct horse"), rng, kFastArgon2);
    ASSERT_TRUE(home) << home.error().message;
    EXPECT_EQ(home->dir(), path);
    EXPECT_TRUE(std::filesystem::exists(path / "keylink.db"));
    first_key = home->client_key().public_key();
  }
  EXPECT_EQ(mode_of(path), 0700u);

  auto again = Home::open(path, passphrase("correct horse"), rng, kFastArgon2);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->client_key().public_key(), first_key);

  // A second home has a key of its own.
  auto other = Home::open(dir.path() / "other", passphrase("correct horse"), rng, kFastArgon2);
  ASSERT_TRUE(other) << other.error().message;
  EXPECT_NE(other->client_key().public_key(), first_key);
}

TEST(Home, AnExistingDirectoryIsMadePrivate) {
  TempDir dir;
  const auto path = dir.path() / "home";
  std::filesystem::create_directory(path);
  ASSERT_EQ(::chmod(path.c_str(), 0755), 0);
  FixedRng rng(2);
  auto home = Home::open(path, passphrase("pw"), rng, kFastArgon2);
  ASSERT_TRUE(home) << home.error().message;
  EXPECT_EQ(mode_of(path), 0700u);
}

TEST(Home, AWrongPassphraseIsRefusedWithAClearMessage) {
  TempDir dir;
  FixedRng rng(3);
  ASSERT_TRUE(Home::open(dir.path(), passphrase("right"), rng, kFastArgon2));
  auto wrong = Home::open(dir.path(), passphrase("wrong"), rng, kFastArgon2);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, store::Errc::kWrongPassphrase);
  EXPECT_NE(wrong.error().message.find("passphrase"), std::string::npos) << wrong.error().message;
  EXPECT_NE(wrong.error().message.find((dir.path() / "keylink.db").string()), std::string::npos)
      << wrong.error().message;
  // The refusal changed nothing: the right passphrase still opens it.
  EXPECT_TRUE(Home::open(dir.path(), passphrase("right"), rng, kFastArgon2));
}

TEST(Home, TheClientKeyIsStoredSealed) {
  TempDir dir;
  FixedRng rng(4);
  Bytes seed;
  {
    auto home = Home::open(dir.path(), passphrase("pw"), rng, kFastArgon2);
    ASSERT_TRUE(home) << home.error().message;
    const Secret<32> secret = home->client_key().seed();
    seed.assign(secret.expose().begin(), secret.expose().end());
  }
  const std::string bytes = all_bytes(dir.path());
  ASSERT_FALSE(bytes.empty());
  const auto contains = [&](const Bytes& needle) {
    return std::search(bytes.begin(), bytes.end(), needle.begin(), needle.end()) != bytes.end();
  };
  EXPECT_FALSE(contains(seed));
  EXPECT_FALSE(contains(Bytes(seed.begin(), seed.begin() + 16)));  // nor a part of it
}

// A row deleted from the home (an answered request, a session's keys) leaves nothing readable behind in
// the file's free pages.
TEST(Home, DeletedRowsAreOverwritten) {
  TempDir dir;
  FixedRng rng(5);
  const std::string marker = "a deleted row that must not stay in the file 51c3";
  {
    auto home = Home::open(dir.path(), passphrase("pw"), rng, kFastArgon2);
    ASSERT_TRUE(home) << home.error().message;
    EXPECT_FALSE(Home::exists(dir.path() / "elsewhere"));
    EXPECT_TRUE(Home::exists(dir.path()));
    auto& db = home->db();
    ASSERT_TRUE(db.exec("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('" + marker + "'), ('kept')"));
    ASSERT_TRUE(db.exec("PRAGMA wal_checkpoint(TRUNCATE)"));
    ASSERT_TRUE(db.exec("DELETE FROM t WHERE v <> 'kept'"));
    ASSERT_TRUE(db.exec("PRAGMA wal_checkpoint(TRUNCATE)"));
  }
  EXPECT_EQ(all_bytes(dir.path()).find(marker), std::string::npos);
}

TEST(Home, AFileInPlaceOfTheDirectoryIsAnError) {
  TempDir dir;
  const auto path = dir.path() / "home";
  std::ofstream(path) << "not a directory";
  FixedRng rng(5);
  auto home = Home::open(path, passphrase("pw"), rng, kFastArgon2);
  ASSERT_FALSE(home);
  EXPECT_NE(home.error().message.find(path.string()), std::string::npos) << home.error().message;
}

}  // namespace
}  // namespace keylink::runtime
