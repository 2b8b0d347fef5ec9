// BIP39 mnemonics: the 12 to 24 English words a person writes down to back up a wallet, and the 64-byte
// seed they stand for (PBKDF2-HMAC-SHA512 of the words, salt "mnemonic" ‖ passphrase, 2048 rounds).
//
// A Mnemonic holds its entropy (16 to 32 bytes) in a SecretBytes; the words are derived from it on
// demand and handed out wiped-on-destruction too. Only the English wordlist is supported. Move-only;
// the const methods are thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "keylink/base/bytes.h"
#include "keylink/base/result.h"
#include "keylink/base/rng.h"
#include "keylink/base/secret.h"
#include "keylink/identity/errors.h"

namespace keylink::identity {

// The BIP39 English wordlist, in its order (index = the 11-bit value a word encodes).
extern const std::array<std::string_view, 2048> kBip39English;

// Longest text parse() reads: 24 words of at most 8 letters with generous whitespace between them.
inline constexpr std::size_t kMaxMnemonicText = 1024;
// Longest passphrase seed() accepts (BIP39 sets none; this bounds what a caller can make us hash).
inline constexpr std::size_t kMaxBip39Passphrase = 1024;

class Mnemonic {
 public:
  // Words separated by any run of ASCII whitespace, any letter case ("Abandon" is "abandon"). Fails with
  // kBadMnemonic naming the problem: a text over kMaxMnemonicText, a word count other than 12, 15, 18,
  // 21 or 24, a word not in the list (the message names it and its position, 1-based: it is for the
  // person who typed it, not for a log), or a checksum that does not match (a word is wrong or swapped).
  static Result<Mnemonic> parse(std::string_view words);
  // New random entropy from `rng`. Fails with kBadMnemonic for a word count other than 12, 15, 18, 21, 24.
  static Result<Mnemonic> generate(Rng& rng, std::size_t words = 12);
  // Fails with kBadMnemonic unless entropy is 16, 20, 24, 28 or 32 bytes.
  static Result<Mnemonic> from_entropy(ByteView entropy);

  const SecretBytes& entropy() const noexcept { return entropy_; }
  std::size_t word_count() const noexcept { return entropy_.size() * 3 / 4; }
  // The words joined by single spaces, lowercase: the canonical text to show or back up.
  SecretBytes phrase() const;
  // BIP39's seed for `passphrase` (empty by default). Fails with kBadMnemonic for a passphrase over
  // kMaxBip39Passphrase bytes or one with non-ASCII bytes: BIP39 hashes the Unicode NFKD form, which
  // keylink does not compute, and a seed from another form would not match other wallets'.
  Result<Secret<64>> seed(std::string_view passphrase = "") const;

  friend bool operator==(const Mnemonic& a, const Mnemonic& b) noexcept { return a.entropy_ == b.entropy_; }

 private:
  explicit Mnemonic(SecretBytes entropy) : entropy_(std::move(entropy)) {}
  SecretBytes entropy_;
};

}  // namespace keylink::identity
