// Ethereum's message signatures (EIP-191 personal_sign) and addresses (EIP-55 checksummed).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "keylink/base/bytes.h"
#include "keylink/base/result.h"
#include "keylink/crypto/hash.h"
#include "keylink/crypto/secp256k1.h"

namespace keylink::crypto {

class EthAddress {
 public:
  static EthAddress from_public_key(const Secp256k1PublicKey& public_key);
  // "0x" and 40 hex digits. All-lowercase and all-uppercase digits are accepted as they are; mixed case
  // must carry a valid EIP-55 checksum, else Errc::kMalformed ("checksum does not match").
  static Result<EthAddress> parse(std::string_view text);

  const std::array<std::uint8_t, 20>& bytes() const noexcept { return bytes_; }
  // The EIP-55 form: "0x" and mixed-case hex.
  std::string to_string() const;

  friend bool operator==(const EthAddress&, const EthAddress&) = default;

 private:
  std::array<std::uint8_t, 20> bytes_{};
};

// keccak256("\x19Ethereum Signed Message:\n" ‖ decimal length ‖ message).
Digest32 eip191_digest(ByteView message);

// 65 bytes r ‖ s ‖ v with v = 27 + recovery id, as wallets return from personal_sign.
using EthSignature = std::array<std::uint8_t, 65>;
EthSignature personal_sign(const Secp256k1PrivateKey& key, ByteView message);
// The address that signed; v may be 0/1 or 27/28. Fails with kBadSignature.
Result<EthAddress> personal_sign_recover(ByteView message, const EthSignature& signature);

}  // namespace keylink::crypto
