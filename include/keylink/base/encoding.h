// Strict text codecs for bytes: hex, base64 (standard and url-safe, padded or not) and base58btc.
// Hex is constant-time (libsodium) and fit for secrets; base64 and base58 are not: use them for public
// bytes (envelopes, keys, signatures, tokens).
//
// Decoders accept only the canonical form of their alphabet: no whitespace, no stray padding, no
// non-zero trailing bits. A rejected input fails with Errc::kInvalidEncoding and a message that names
// the encoding. Thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "keylink/base/bytes.h"
#include "keylink/base/result.h"

namespace keylink {

// Lowercase hex.
std::string to_hex(ByteView bytes);
// Upper or lower case hex digits, an even number of them.
Result<Bytes> from_hex(std::string_view text);

// Hex of exactly N bytes, for keys and hashes.
template <std::size_t N>
Result<std::array<std::uint8_t, N>> from_hex_array(std::string_view text) {
  if (text.size() != 2 * N) {
    return fail(Errc::kWrongLength,
                "expected " + std::to_string(2 * N) + " hex digits, got " + std::to_string(text.size()));
  }
  auto bytes = from_hex(text);
  if (!bytes) return fail(bytes.error());
  std::array<std::uint8_t, N> out{};
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

enum class Base64 { kStandard, kStandardUnpadded, kUrl, kUrlUnpadded };
std::string to_base64(ByteView bytes, Base64 variant = Base64::kStandard);
Result<Bytes> from_base64(std::string_view text, Base64 variant = Base64::kStandard);

// Bitcoin's alphabet, as multibase 'z' (did:key) uses it; leading zero bytes are leading '1's.
std::string to_base58(ByteView bytes);
// REQUIRES nothing; inputs longer than kMaxBase58Length fail with kTooLarge (decoding is quadratic).
inline constexpr std::size_t kMaxBase58Length = 1024;
Result<Bytes> from_base58(std::string_view text);

}  // namespace keylink
