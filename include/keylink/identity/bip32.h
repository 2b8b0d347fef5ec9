// BIP32 hierarchical deterministic keys on secp256k1: a master key from a seed, children by index
// (hardened or normal), and derivation paths such as BIP44's "m/44'/60'/0'/0/0" (Ethereum's first
// account, kEthereumAccountPath).
//
// Only private derivation: keylink holds the seed, and no public-only derivation is needed. Move-only;
// the const methods are thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "keylink/base/bytes.h"
#include "keylink/base/result.h"
#include "keylink/base/secret.h"
#include "keylink/crypto/secp256k1.h"
#include "keylink/crypto/secp256k1_hd.h"
#include "keylink/identity/errors.h"

namespace keylink::identity {

// BIP44 m / purpose' / coin_type' / account' / change / address_index, with SLIP-44 coin type 60 (ether).
inline constexpr std::string_view kEthereumAccountPath = "m/44'/60'/0'/0/0";

// Index i + kHardened is the hardened child i (written i' or iH).
inline constexpr std::uint32_t kHardened = 0x80000000u;
// The longest path parse() takes; BIP32's serialization caps depth at 255.
inline constexpr std::size_t kMaxPathDepth = 255;

class DerivationPath {
 public:
  // "m" then zero or more "/<index>", each a decimal below 2^31 without sign or leading zeros, marked
  // hardened by a trailing ', h or H. Fails with kBadPath naming the segment: not starting with "m", an
  // empty segment, a non-digit, an index of 2^31 or more, a path deeper than kMaxPathDepth.
  static Result<DerivationPath> parse(std::string_view text);

  const std::vector<std::uint32_t>& indices() const noexcept { return indices_; }
  // Hardened indices written with '.
  std::string to_string() const;

 private:
  explicit DerivationPath(std::vector<std::uint32_t> indices) : indices_(std::move(indices)) {}
  std::vector<std::uint32_t> indices_;
};

class ExtendedPrivateKey {
 public:
  // The master key: HMAC-SHA512(key "Bitcoin seed", seed). Fails with crypto::Errc::kBadKey for a seed
  // outside 16..64 bytes or (chance 2^-127) a key out of range.
  static Result<ExtendedPrivateKey> from_seed(ByteView seed);

  // The child at `index` (hardened when index >= kHardened). Fails with crypto::Errc::kBadKey when BIP32
  // says the index gives no key (chance 2^-127; the caller moves on to the next index), kBadPath when
  // this key is at depth 255 already.
  Result<ExtendedPrivateKey> derive(std::uint32_t index) const;
  Result<ExtendedPrivateKey> derive_path(const DerivationPath& path) const;
  // Parses `path` and derives it; errors as DerivationPath::parse and derive.
  Result<ExtendedPrivateKey> derive_path(std::string_view path) const;

  const crypto::Secp256k1PrivateKey& private_key() const noexcept { return key_; }
  const Secret<32>& chain_code() const noexcept { return chain_code_; }
  crypto::Secp256k1CompressedKey public_key() const { return crypto::secp256k1_compress(key_.public_key()); }
  std::uint8_t depth() const noexcept { return depth_; }
  std::uint32_t child_number() const noexcept { return child_number_; }
  // The first 4 bytes of HASH160 of the compressed public key: what a child records as its parent.
  std::array<std::uint8_t, 4> fingerprint() const;
  std::array<std::uint8_t, 4> parent_fingerprint() const noexcept { return parent_fingerprint_; }

  // BIP32's Base58Check serializations with the mainnet versions: "xprv..." (0x0488ADE4; a secret:
  // the whole subtree's keys) and "xpub..." (0x0488B21E). Base58 is not constant-time: for export and
  // tests, not for a hot path.
  SecretBytes to_xprv() const;
  std::string to_xpub() const;

 private:
  ExtendedPrivateKey(crypto::Secp256k1PrivateKey key, Secret<32> chain_code, std::uint8_t depth,
                     std::uint32_t child_number, std::array<std::uint8_t, 4> parent_fingerprint)
      : key_(std::move(key)),
        chain_code_(std::move(chain_code)),
        depth_(depth),
        child_number_(child_number),
        parent_fingerprint_(parent_fingerprint) {}
  crypto::Secp256k1PrivateKey key_;
  Secret<32> chain_code_;
  std::uint8_t depth_;
  std::uint32_t child_number_;
  std::array<std::uint8_t, 4> parent_fingerprint_;
};

}  // namespace keylink::identity
