#include "keylink/crypto/ethereum.h"

#include <algorithm>
#include <cctype>

#include "keylink/base/encoding.h"
#include "keylink/crypto/errors.h"

namespace keylink::crypto {
namespace {

bool is_lower_hex_letter(char c) { return c >= 'a' && c <= 'f'; }
bool is_upper_hex_letter(char c) { return c >= 'A' && c <= 'F'; }

// EIP-55: a letter is upper case when the matching nibble of keccak256(lowercase hex) is 8 or more.
std::string checksummed_hex(const std::array<std::uint8_t, 20>& bytes) {
  std::string hex = to_hex(bytes);
  const Digest32 hash = keccak256(as_bytes(hex));
  for (size_t i = 0; i < hex.size(); ++i) {
    const unsigned nibble = (i % 2 == 0) ? hash[i / 2] >> 4 : hash[i / 2] & 0x0f;
    if (nibble >= 8) hex[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(hex[i])));
  }
  return hex;
}

}  // namespace

EthAddress EthAddress::from_public_key(const Secp256k1PublicKey& public_key) {
  // The address is the last 20 bytes of keccak256(X ‖ Y), without the 0x04 prefix.
  const Digest32 hash = keccak256(ByteView(public_key).subspan(1));
  EthAddress address;
  std::copy(hash.end() - 20, hash.end(), address.bytes_.begin());
  return address;
}

Result<EthAddress> EthAddress::parse(std::string_view text) {
  if (text.size() != 42 || text.substr(0, 2) != "0x") {
    return fail(Errc::kMalformed, "not an Ethereum address: expected \"0x\" and 40 hex digits");
  }
  const std::string_view digits = text.substr(2);
  auto bytes = from_hex_array<20>(digits);
  if (!bytes) return fail(Errc::kMalformed, "not an Ethereum address: expected \"0x\" and 40 hex digits");
  EthAddress address;
  address.bytes_ = *bytes;
  const bool has_lower = std::any_of(digits.begin(), digits.end(), is_lower_hex_letter);
  const bool has_upper = std::any_of(digits.begin(), digits.end(), is_upper_hex_letter);
  if (has_lower && has_upper && checksummed_hex(address.bytes_) != digits) {
    return fail(Errc::kMalformed, "Ethereum address checksum does not match (EIP-55): check it for a typo");
  }
  return address;
}

std::string EthAddress::to_string() const { return "0x" + checksummed_hex(bytes_); }

Digest32 eip191_digest(ByteView message) {
  const std::string prefix =
      "\x19"
      "Ethereum Signed Message:\n" +
      std::to_string(message.size());
  return keccak256(concat(as_bytes(prefix), message));
}

EthSignature personal_sign(const Secp256k1PrivateKey& key, ByteView message) {
  const RecoverableSignature signature = key.sign_recoverable(eip191_digest(message));
  EthSignature out{};
  std::copy(signature.compact.begin(), signature.compact.end(), out.begin());
  out[64] = static_cast<std::uint8_t>(27 + signature.recovery_id);
  return out;
}

Result<EthAddress> personal_sign_recover(ByteView message, const EthSignature& signature) {
  const std::uint8_t v = signature[64];
  if (v != 0 && v != 1 && v != 27 && v != 28) {
    return fail(Errc::kBadSignature, "personal_sign signature: v must be 0, 1, 27 or 28, got " + std::to_string(v));
  }
  RecoverableSignature parts;
  std::copy_n(signature.begin(), 64, parts.compact.begin());
  parts.recovery_id = static_cast<std::uint8_t>(v >= 27 ? v - 27 : v);
  auto public_key = secp256k1_recover(eip191_digest(message), parts);
  if (!public_key) return fail(public_key.error());
  return EthAddress::from_public_key(*public_key);
}

}  // namespace keylink::crypto
