#include "keylink/base/encoding.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace keylink {
namespace {

bool is_url(Base64 variant) { return variant == Base64::kUrl || variant == Base64::kUrlUnpadded; }
bool is_padded(Base64 variant) { return variant == Base64::kStandard || variant == Base64::kUrl; }

const char* base64_name(Base64 variant) {
  switch (variant) {
    case Base64::kStandard: return "base64";
    case Base64::kStandardUnpadded: return "unpadded base64";
    case Base64::kUrl: return "base64url";
    case Base64::kUrlUnpadded: return "unpadded base64url";
  }
  return "base64";
}

constexpr std::string_view kBase58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

}  // namespace

std::string to_hex(ByteView bytes) {
  std::string out(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), bytes.data(), bytes.size());
  out.pop_back();
  return out;
}

Result<Bytes> from_hex(std::string_view text) {
  if (text.empty()) return Bytes{};  // libsodium must not see a null buffer
  Bytes out(text.size() / 2);
  size_t written = 0;
  // With no ignore set and no end pointer, libsodium refuses any non-digit and an odd count.
  if (text.size() % 2 != 0 ||
      sodium_hex2bin(out.data(), out.size(), text.data(), text.size(), nullptr, &written, nullptr) != 0 ||
      written != out.size()) {
    return fail(Errc::kInvalidEncoding, "not hex: expected an even number of digits 0-9, a-f");
  }
  return out;
}

// Base64 carries public bytes (envelopes, signatures, tokens), so it uses OpenSSL's fast table codec
// rather than libsodium's constant-time one, which costs more than the encryption of an envelope.
std::string to_base64(ByteView bytes, Base64 variant) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int written =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(written));
  if (is_url(variant)) std::replace(out.begin(), out.end(), '+', '-'), std::replace(out.begin(), out.end(), '/', '_');
  if (!is_padded(variant)) out.erase(out.find_last_not_of('=') + 1);
  return out;
}

Result<Bytes> from_base64(std::string_view text, Base64 variant) {
  auto invalid = [variant] {
    return fail(Errc::kInvalidEncoding, std::string("not canonical ") + base64_name(variant));
  };
  // Bring the text to padded standard form, refusing what the variant does not allow.
  std::string standard(text);
  const std::size_t padding = standard.size() - std::min(standard.size(), standard.find_last_not_of('=') + 1);
  if (is_padded(variant) ? standard.size() % 4 != 0 || padding > 2 : padding != 0 || standard.size() % 4 == 1) {
    return invalid();
  }
  if (is_url(variant)) {
    if (standard.find_first_of("+/") != std::string::npos) return invalid();
    std::replace(standard.begin(), standard.end(), '-', '+');
    std::replace(standard.begin(), standard.end(), '_', '/');
  }
  standard.append((4 - standard.size() % 4) % 4, '=');
  // OpenSSL skips leading whitespace, and trailing whitespace and '-', and reads '=' anywhere as data;
  // interior characters outside the alphabet it refuses. So the ends must be in the alphabet and no '='
  // may come before the padding.
  const std::size_t data_chars = standard.find_last_not_of('=') + 1;  // npos + 1 == 0
  auto in_alphabet = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/'; };
  if (data_chars != 0 && (!in_alphabet(standard.front()) || !in_alphabet(standard[data_chars - 1]) ||
                          std::memchr(standard.data(), '=', data_chars) != nullptr)) {
    return invalid();
  }

  Bytes out(standard.size() / 4 * 3);
  const int written = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(standard.data()),
                                      static_cast<int>(standard.size()));
  if (written < 0) return invalid();
  const std::size_t pad = standard.size() - data_chars;
  out.resize(out.size() - pad);
  // Canonical form: the bits past the last byte are zero, so each byte string has one encoding.
  if (pad != 0) {
    const std::size_t bits = pad == 1 ? 2 : 4;
    const char last = standard[data_chars - 1];
    static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if ((kAlphabet.find(last) & ((1u << bits) - 1)) != 0) return invalid();
  }
  return out;
}

std::string to_base58(ByteView bytes) {
  const auto zeros =
      static_cast<size_t>(std::find_if(bytes.begin(), bytes.end(), [](uint8_t b) { return b != 0; }) - bytes.begin());
  // Base 256 to base 58, most significant digit last; log(256)/log(58) < 1.37.
  std::vector<uint8_t> digits;
  digits.reserve(bytes.size() * 137 / 100 + 1);
  for (size_t i = zeros; i < bytes.size(); ++i) {
    unsigned carry = bytes[i];
    for (auto& digit : digits) {
      carry += static_cast<unsigned>(digit) << 8;
      digit = static_cast<uint8_t>(carry % 58);
      carry /= 58;
    }
    for (; carry != 0; carry /= 58) digits.push_back(static_cast<uint8_t>(carry % 58));
  }
  std::string out(zeros, '1');
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) out.push_back(kBase58Alphabet[*it]);
  return out;
}

Result<Bytes> from_base58(std::string_view text) {
  if (text.size() > kMaxBase58Length) {
    return fail(Errc::kTooLarge, "base58 text longer than " + std::to_string(kMaxBase58Length) + " characters");
  }
  const size_t zeros = std::min(text.find_first_not_of('1'), text.size());
  std::vector<uint8_t> bytes;  // least significant first
  for (size_t i = zeros; i < text.size(); ++i) {
    const size_t value = kBase58Alphabet.find(text[i]);
    if (value == std::string_view::npos) {
      return fail(Errc::kInvalidEncoding, "not base58btc: character outside the Bitcoin alphabet");
    }
    unsigned carry = static_cast<unsigned>(value);
    for (auto& byte : bytes) {
      carry += static_cast<unsigned>(byte) * 58;
      byte = static_cast<uint8_t>(carry & 0xff);
      carry >>= 8;
    }
    for (; carry != 0; carry >>= 8) bytes.push_back(static_cast<uint8_t>(carry & 0xff));
  }
  Bytes out(zeros, 0);
  out.insert(out.end(), bytes.rbegin(), bytes.rend());
  return out;
}

}  // namespace keylink
