#include "keylink/identity/bip39.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "keylink/base/check.h"
#include "keylink/crypto/hash.h"
#include "keylink/crypto/pbkdf2.h"

namespace keylink::identity {

const std::array<std::string_view, 2048> kBip39English = {
#include "identity/bip39_english.inc"
};

namespace {

constexpr std::size_t kMaxWords = 24;
constexpr std::uint32_t kSeedRounds = 2048;  // BIP39: "iteration count is set to 2048"

bool valid_word_count(std::size_t words) { return words >= 12 && words <= kMaxWords && words % 3 == 0; }

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Lexicographic order of a list word against a token read case-insensitively; the list is sorted.
bool word_before(std::string_view word, std::string_view token) {
  const std::size_t common = std::min(word.size(), token.size());
  for (std::size_t i = 0; i < common; ++i) {
    const char t = to_lower(token[i]);
    if (word[i] != t) return word[i] < t;
  }
  return word.size() < token.size();
}

// The word's 11-bit index. The search's timing depends on the word; a mnemonic is typed by a person on
// this machine, so there is no remote observer to measure it.
int index_of(std::string_view token) {
  const auto it = std::lower_bound(kBip39English.begin(), kBip39English.end(), token, word_before);
  if (it == kBip39English.end() || it->size() != token.size()) return -1;
  for (std::size_t i = 0; i < token.size(); ++i) {
    if ((*it)[i] != to_lower(token[i])) return -1;
  }
  return static_cast<int>(it - kBip39English.begin());
}

// Bits are numbered from the most significant bit of byte 0, as BIP39 concatenates them.
unsigned read11(ByteView bits, std::size_t offset) {
  unsigned value = 0;
  for (std::size_t b = offset; b < offset + 11; ++b) value = (value << 1) | ((bits[b / 8] >> (7 - b % 8)) & 1u);
  return value;
}

void write11(std::span<std::uint8_t> bits, std::size_t offset, unsigned value) {
  for (std::size_t i = 0; i < 11; ++i) {
    const std::size_t b = offset + i;
    if ((value >> (10 - i)) & 1u) bits[b / 8] = static_cast<std::uint8_t>(bits[b / 8] | (0x80u >> (b % 8)));
  }
}

// BIP39: the checksum is the first ENT/32 bits of SHA-256(entropy), left-aligned in the returned byte.
std::uint8_t checksum_byte(ByteView entropy) {
  crypto::Digest32 digest = crypto::sha256(entropy);
  const unsigned bits = static_cast<unsigned>(entropy.size() / 4);
  const auto out = static_cast<std::uint8_t>(digest[0] & (0xffu << (8 - bits)));
  secure_wipe(digest.data(), digest.size());
  return out;
}

// entropy ‖ checksum: the 11 × word_count bits the words encode.
SecretBytes with_checksum(ByteView entropy) {
  SecretBytes bits(entropy.size() + 1);
  std::copy(entropy.begin(), entropy.end(), bits.expose_mutable().begin());
  bits.expose_mutable()[entropy.size()] = checksum_byte(entropy);
  return bits;
}

}  // namespace

Result<Mnemonic> Mnemonic::from_entropy(ByteView entropy) {
  if (entropy.size() < 16 || entropy.size() > 32 || entropy.size() % 4 != 0) {
    return fail(Errc::kBadMnemonic,
                "BIP39 entropy must be 16, 20, 24, 28 or 32 bytes, got " + std::to_string(entropy.size()));
  }
  return Mnemonic(SecretBytes(entropy));
}

Result<Mnemonic> Mnemonic::generate(Rng& rng, std::size_t words) {
  if (!valid_word_count(words)) {
    return fail(Errc::kBadMnemonic, "a mnemonic has 12, 15, 18, 21 or 24 words, not " + std::to_string(words));
  }
  SecretBytes entropy(words * 4 / 3);
  rng.fill(entropy.expose_mutable());
  return Mnemonic(std::move(entropy));
}

Result<Mnemonic> Mnemonic::parse(std::string_view text) {
  if (text.size() > kMaxMnemonicText) {
    return fail(Errc::kBadMnemonic, "mnemonic text longer than " + std::to_string(kMaxMnemonicText) + " bytes");
  }
  std::array<std::string_view, kMaxWords> tokens;
  std::size_t count = 0;
  for (std::size_t i = 0; i < text.size();) {
    if (is_space(text[i])) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < text.size() && !is_space(text[end])) ++end;
    if (count < kMaxWords) tokens[count] = text.substr(i, end - i);
    ++count;
    i = end;
  }
  if (!valid_word_count(count)) {
    return fail(Errc::kBadMnemonic, "a mnemonic has 12, 15, 18, 21 or 24 words; this one has " + std::to_string(count));
  }
  const std::size_t entropy_size = count * 4 / 3;
  SecretBytes bits(entropy_size + 1);
  for (std::size_t w = 0; w < count; ++w) {
    const int index = index_of(tokens[w]);
    if (index < 0) {
      // The word itself stays out of the message: a mistyped word is most of a secret one.
      return fail(Errc::kBadMnemonic,
                  "word " + std::to_string(w + 1) + " is not in the BIP39 English wordlist; check its spelling");
    }
    write11(bits.expose_mutable(), 11 * w, static_cast<unsigned>(index));
  }
  const ByteView entropy = bits.expose().first(entropy_size);
  if (checksum_byte(entropy) != bits.expose()[entropy_size]) {
    return fail(Errc::kBadMnemonic,
                "the mnemonic's checksum does not match: a word is mistyped, missing or out of order");
  }
  return Mnemonic(SecretBytes(entropy));
}

SecretBytes Mnemonic::phrase() const {
  const SecretBytes bits = with_checksum(entropy_.expose());
  const std::size_t words = word_count();
  std::size_t size = words - 1;
  for (std::size_t w = 0; w < words; ++w) size += kBip39English[read11(bits.expose(), 11 * w)].size();
  SecretBytes out(size);
  auto cursor = out.expose_mutable().begin();
  for (std::size_t w = 0; w < words; ++w) {
    if (w > 0) *cursor++ = ' ';
    const std::string_view word = kBip39English[read11(bits.expose(), 11 * w)];
    cursor = std::copy(word.begin(), word.end(), cursor);
  }
  KEYLINK_CHECK(cursor == out.expose_mutable().end());
  return out;
}

Result<Secret<64>> Mnemonic::seed(std::string_view passphrase) const {
  if (passphrase.size() > kMaxBip39Passphrase) {
    return fail(Errc::kBadMnemonic, "BIP39 passphrase longer than " + std::to_string(kMaxBip39Passphrase) + " bytes");
  }
  // ASCII is its own NFKD form; anything else would need Unicode normalization first.
  if (std::any_of(passphrase.begin(), passphrase.end(), [](char c) { return static_cast<unsigned char>(c) > 0x7f; })) {
    return fail(Errc::kBadMnemonic,
                "BIP39 passphrases beyond ASCII need Unicode NFKD normalization, which keylink does not do; "
                "use an ASCII passphrase");
  }
  constexpr std::string_view kSaltPrefix = "mnemonic";
  SecretBytes salt(kSaltPrefix.size() + passphrase.size());
  std::copy(passphrase.begin(), passphrase.end(),
            std::copy(kSaltPrefix.begin(), kSaltPrefix.end(), salt.expose_mutable().begin()));
  return crypto::pbkdf2_hmac_sha512(phrase().expose(), salt.expose(), kSeedRounds);
}

}  // namespace keylink::identity
