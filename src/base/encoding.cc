#include "keylink/base/encoding.h"

#include <sodium.h>

#include <algorithm>

namespace keylink {
namespace {

int sodium_variant(Base64 variant) {
  switch (variant) {
    case Base64::kStandard: return sodium_base64_VARIANT_ORIGINAL;
    case Base64::kStandardUnpadded: return sodium_base64_VARIANT_ORIGINAL_NO_PADDING;
    case Base64::kUrl: return sodium_base64_VARIANT_URLSAFE;
    case Base64::kUrlUnpadded: return sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  }
  return sodium_base64_VARIANT_ORIGINAL;
}

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

std::string to_base64(ByteView bytes, Base64 variant) {
  const int v = sodium_variant(variant);
  std::string out(sodium_base64_encoded_len(bytes.size(), v), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(), v);
  out.pop_back();  // the terminating NUL
  return out;
}

Result<Bytes> from_base64(std::string_view text, Base64 variant) {
  Bytes out(text.size() / 4 * 3 + 3);
  size_t written = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &written, &end,
                        sodium_variant(variant)) != 0 ||
      end != text.data() + text.size()) {
    return fail(Errc::kInvalidEncoding, std::string("not canonical ") + base64_name(variant));
  }
  out.resize(written);
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
