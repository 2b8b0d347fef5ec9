#include "keylink/identity/bip39.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "keylink/base/encoding.h"
#include "keylink/crypto/hash.h"
#include "testing/vectors.h"

namespace keylink::identity {
namespace {

using keylink::testing::hex;
using keylink::testing::load_vectors;

constexpr std::string_view kAbandonAbout =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

std::string phrase_of(const Mnemonic& mnemonic) { return std::string(as_chars(mnemonic.phrase().expose())); }

Error parse_error(std::string_view text) {
  auto parsed = Mnemonic::parse(text);
  EXPECT_FALSE(parsed) << text;
  if (parsed) return {};
  EXPECT_EQ(parsed.error().code, Errc::kBadMnemonic);
  return parsed.error();
}

TEST(Bip39, WordlistIsTheOfficialEnglishList) {
  std::string file;
  for (std::string_view word : kBip39English) file += std::string(word) + "\n";
  // sha256 of bitcoin/bips bip-0039/english.txt.
  EXPECT_EQ(to_hex(crypto::sha256(as_bytes(file))), "2f5eed53a4727b4bf8880d8f3f199efc90e58503646d9ff8eff3a2ed3b24dbda");
  // parse() searches the list by bisection.
  EXPECT_TRUE(std::adjacent_find(kBip39English.begin(), kBip39English.end(), std::greater_equal<>()) ==
              kBip39English.end());
}

TEST(Bip39, TrezorVectors) {
  for (const auto& v : load_vectors("bip39_trezor.txt")) {
    const Bytes entropy = hex(v.at("entropy"));
    auto made = Mnemonic::from_entropy(entropy);
    ASSERT_TRUE(made) << made.error().message;
    EXPECT_EQ(phrase_of(*made), v.at("mnemonic"));
    EXPECT_EQ(made->word_count(), entropy.size() * 3 / 4);
    auto parsed = Mnemonic::parse(v.at("mnemonic"));
    ASSERT_TRUE(parsed) << v.at("mnemonic") << ": " << parsed.error().message;
    EXPECT_EQ(to_hex(parsed->entropy().expose()), v.at("entropy"));
    EXPECT_TRUE(*parsed == *made);
    auto seed = parsed->seed("TREZOR");
    ASSERT_TRUE(seed) << seed.error().message;
    EXPECT_EQ(to_hex(seed->expose()), v.at("seed"));
  }
}

TEST(Bip39, EmptyPassphraseSeed) {
  // The seed every BIP39 library gives these words without a passphrase (python-mnemonic, @scure/bip39).
  auto seed = Mnemonic::parse(kAbandonAbout)->seed();
  ASSERT_TRUE(seed);
  EXPECT_EQ(to_hex(seed->expose()),
            "5eb00bbddcf069084889a8ab9155568165f5c453ccb85e70811aaed6f6da5fc19a5ac40b389cd370d086206dec8aa6c43daea6690"
            "f20ad3d8d48b2d2ce9e38e4");
}

TEST(Bip39, ParseNormalizesSpacingAndCase) {
  auto parsed = Mnemonic::parse(
      "  Abandon\tabandon  abandon\nabandon abandon\r\nABANDON abandon abandon abandon abandon abandon About \n");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(phrase_of(*parsed), kAbandonAbout);
}

// A mistyped word is most of a secret one: the message names its place, never the word.
TEST(Bip39, RejectsAnUnknownWordByItsPlaceOnly) {
  const Error error =
      parse_error("abandon abandon abandonn abandon abandon abandon abandon abandon abandon abandon abandon about");
  EXPECT_EQ(error.message, "word 3 is not in the BIP39 English wordlist; check its spelling");
  // A prefix of a word is not the word (BIP39 lets wallets accept 4-letter prefixes; we do not).
  const Error prefix =
      parse_error("aban abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about");
  EXPECT_NE(prefix.message.find("word 1 "), std::string::npos);
  EXPECT_EQ(prefix.message.find("aban "), std::string::npos);
  const Error last =
      parse_error("abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon zoos");
  EXPECT_NE(last.message.find("word 12"), std::string::npos);
  EXPECT_EQ(last.message.find("zoos"), std::string::npos);
  const Error control = parse_error(
      "abandon \x1b[31mabandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about");
  EXPECT_EQ(control.message.find('\x1b'), std::string::npos);
}

TEST(Bip39, RejectsABadChecksum) {
  const Error error =
      parse_error("abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon");
  EXPECT_EQ(error.message, "the mnemonic's checksum does not match: a word is mistyped, missing or out of order");
  // Two words swapped.
  parse_error("legal winner thank year wave sausage worth useful legal winner yellow thank");
}

TEST(Bip39, RejectsWrongWordCounts) {
  EXPECT_EQ(
      parse_error("abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about").message,
      "a mnemonic has 12, 15, 18, 21 or 24 words; this one has 11");
  EXPECT_NE(parse_error("").message.find("this one has 0"), std::string::npos);
  EXPECT_NE(parse_error(" \t\n").message.find("this one has 0"), std::string::npos);
  std::string words;
  for (int i = 0; i < 13; ++i) words += "abandon ";
  EXPECT_NE(parse_error(words).message.find("this one has 13"), std::string::npos);
  words.clear();
  for (int i = 0; i < 27; ++i) words += "zoo ";
  EXPECT_NE(parse_error(words).message.find("this one has 27"), std::string::npos);
}

TEST(Bip39, RejectsOverlongText) {
  const std::string text = std::string(kAbandonAbout) + std::string(kMaxMnemonicText, ' ');
  EXPECT_NE(parse_error(text).message.find("longer than 1024 bytes"), std::string::npos);
}

TEST(Bip39, FromEntropyTakesOnlyBip39Sizes) {
  for (std::size_t size : {0, 4, 12, 15, 17, 33, 64}) {
    auto made = Mnemonic::from_entropy(Bytes(size, 1));
    ASSERT_FALSE(made) << size;
    EXPECT_EQ(made.error().code, Errc::kBadMnemonic);
  }
}

TEST(Bip39, GenerateDrawsEntropyFromTheRng) {
  FixedRng rng;
  rng.push(Bytes(32, 0xff));
  auto made = Mnemonic::generate(rng, 24);
  ASSERT_TRUE(made) << made.error().message;
  EXPECT_EQ(phrase_of(*made),
            "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo vote");
  for (std::size_t words : {12, 15, 18, 21, 24}) {
    auto random = Mnemonic::generate(rng, words);
    ASSERT_TRUE(random);
    EXPECT_EQ(random->word_count(), words);
    auto again = Mnemonic::parse(phrase_of(*random));
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_TRUE(*again == *random);
  }
  for (std::size_t words : {0, 11, 13, 25, 48}) {
    auto bad = Mnemonic::generate(rng, words);
    ASSERT_FALSE(bad) << words;
    EXPECT_EQ(bad.error().code, Errc::kBadMnemonic);
  }
}

TEST(Bip39, SeedRefusesPassphrasesItCannotNormalize) {
  const auto mnemonic = Mnemonic::parse(kAbandonAbout).value();
  auto accented = mnemonic.seed("caf\xc3\xa9");
  ASSERT_FALSE(accented);
  EXPECT_EQ(accented.error().code, Errc::kBadMnemonic);
  EXPECT_NE(accented.error().message.find("NFKD"), std::string::npos);
  EXPECT_FALSE(mnemonic.seed(std::string(kMaxBip39Passphrase + 1, 'a')));
  EXPECT_TRUE(mnemonic.seed(std::string(kMaxBip39Passphrase, 'a')));
}

}  // namespace
}  // namespace keylink::identity
