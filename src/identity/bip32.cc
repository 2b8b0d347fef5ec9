#include "keylink/identity/bip32.h"

#include <algorithm>

#include "keylink/base/check.h"
#include "keylink/base/encoding.h"
#include "keylink/crypto/errors.h"
#include "keylink/crypto/hash.h"
#include "keylink/crypto/pbkdf2.h"

namespace keylink::identity {
namespace {

constexpr std::string_view kMasterHmacKey = "Bitcoin seed";  // BIP32 "Master key generation"
constexpr std::uint32_t kXprvVersion = 0x0488ADE4;
constexpr std::uint32_t kXpubVersion = 0x0488B21E;
constexpr std::size_t kSerializedSize = 78;

void put32(std::uint8_t* out, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<std::uint8_t>(value >> (24 - 8 * i));
}

Secret<32> left(const Secret<64>& i) { return Secret<32>(i.expose().first<32>()); }
Secret<32> right(const Secret<64>& i) { return Secret<32>(i.expose().last<32>()); }

// A path or segment as an error message may show it: at most 64 bytes, no byte a terminal interprets.
std::string shown(std::string_view text) {
  std::string out(text.substr(0, 64));
  for (char& c : out) {
    if (c < 0x20 || c > 0x7e) c = '?';
  }
  return text.size() > 64 ? out + "..." : out;
}

Error bad_segment(std::string_view path, std::size_t number, std::string_view segment, std::string_view why) {
  return Error{make_error_code(Errc::kBadPath), "derivation path \"" + shown(path) + "\": segment " +
                                                    std::to_string(number) + " (\"" + shown(segment) + "\") " +
                                                    std::string(why)};
}

// One "/"-separated segment after "m": decimal digits, an optional hardened mark.
Result<std::uint32_t> parse_segment(std::string_view path, std::size_t number, std::string_view segment) {
  std::string_view digits = segment;
  std::uint32_t hardened = 0;
  if (!digits.empty() && (digits.back() == '\'' || digits.back() == 'h' || digits.back() == 'H')) {
    digits.remove_suffix(1);
    hardened = kHardened;
  }
  if (digits.empty()) return fail(bad_segment(path, number, segment, "has no index"));
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return fail(bad_segment(path, number, segment, "is not a decimal index with an optional ' (hardened)"));
  }
  if (digits.size() > 1 && digits[0] == '0') return fail(bad_segment(path, number, segment, "has a leading zero"));
  std::uint64_t value = 0;
  for (char c : digits) {
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
    if (value >= kHardened) {
      return fail(bad_segment(path, number, segment, "is 2^31 or more; write a hardened index as i' with i < 2^31"));
    }
  }
  return static_cast<std::uint32_t>(value) | hardened;
}

}  // namespace

Result<DerivationPath> DerivationPath::parse(std::string_view text) {
  if (text.empty() || text[0] != 'm' || (text.size() > 1 && text[1] != '/')) {
    return fail(Errc::kBadPath,
                "derivation path \"" + shown(text) + "\" must start with \"m\" (as in \"m/44'/60'/0'/0/0\")");
  }
  std::vector<std::uint32_t> indices;
  for (std::size_t begin = 2, number = 1; begin <= text.size() && text.size() > 1; ++number) {
    if (indices.size() == kMaxPathDepth) {
      return fail(Errc::kBadPath, "derivation path \"" + shown(text) + "\" is deeper than 255 levels");
    }
    const std::size_t end = std::min(text.find('/', begin), text.size());
    auto index = parse_segment(text, number, text.substr(begin, end - begin));
    if (!index) return fail(index.error());
    indices.push_back(*index);
    begin = end + 1;
  }
  return DerivationPath(std::move(indices));
}

std::string DerivationPath::to_string() const {
  std::string out = "m";
  for (std::uint32_t index : indices_) {
    out += "/" + std::to_string(index & ~kHardened);
    if (index & kHardened) out += "'";
  }
  return out;
}

Result<ExtendedPrivateKey> ExtendedPrivateKey::from_seed(ByteView seed) {
  if (seed.size() < 16 || seed.size() > 64) {
    return fail(crypto::Errc::kBadKey, "a BIP32 seed is 16 to 64 bytes, got " + std::to_string(seed.size()));
  }
  const Secret<64> i = crypto::hmac_sha512(as_bytes(kMasterHmacKey), seed);
  auto key = crypto::Secp256k1PrivateKey::from_bytes(left(i));
  if (!key) return fail(context("BIP32 master key (use another seed)", key.error()));
  return ExtendedPrivateKey(std::move(*key), right(i), 0, 0, {});
}

Result<ExtendedPrivateKey> ExtendedPrivateKey::derive(std::uint32_t index) const {
  if (depth_ == 255) return fail(Errc::kBadPath, "a BIP32 key at depth 255 has no children");
  // BIP32 CKDpriv: hardened children hash 0x00 ‖ ser256(k_par), normal ones serP(K_par); then ser32(i).
  Secret<37> data;
  auto bytes = data.expose_mutable();
  if (index & kHardened) {
    std::copy_n(key_.secret().expose().begin(), 32, bytes.begin() + 1);
  } else {
    const auto point = public_key();
    std::copy(point.begin(), point.end(), bytes.begin());
  }
  put32(bytes.data() + 33, index);
  const Secret<64> i = crypto::hmac_sha512(chain_code_.expose(), data.expose());
  auto child = crypto::secp256k1_tweak_add(key_.secret(), left(i));
  if (!child) return fail(context("BIP32 child " + std::to_string(index) + " (use the next index)", child.error()));
  auto key = crypto::Secp256k1PrivateKey::from_bytes(*child);
  if (!key) return fail(key.error());
  return ExtendedPrivateKey(std::move(*key), right(i), static_cast<std::uint8_t>(depth_ + 1), index, fingerprint());
}

Result<ExtendedPrivateKey> ExtendedPrivateKey::derive_path(const DerivationPath& path) const {
  // Starts from a copy of this key (BIP32 paths are relative to it; from a master key, "m" is itself).
  auto copy = crypto::Secp256k1PrivateKey::from_bytes(key_.secret());
  KEYLINK_CHECK(copy.has_value());  // it was valid when this key was made
  ExtendedPrivateKey key(std::move(*copy), chain_code_.clone(), depth_, child_number_, parent_fingerprint_);
  for (std::uint32_t index : path.indices()) {
    auto child = key.derive(index);
    if (!child) return fail(context("deriving " + path.to_string(), child.error()));
    key = std::move(*child);
  }
  return key;
}

Result<ExtendedPrivateKey> ExtendedPrivateKey::derive_path(std::string_view path) const {
  auto parsed = DerivationPath::parse(path);
  if (!parsed) return fail(parsed.error());
  return derive_path(*parsed);
}

std::array<std::uint8_t, 4> ExtendedPrivateKey::fingerprint() const {
  const auto id = crypto::hash160(public_key());
  return {id[0], id[1], id[2], id[3]};
}

namespace {

// BIP32 "Serialization format": version ‖ depth ‖ parent fingerprint ‖ child number ‖ chain code ‖ key,
// then Base58Check (4 bytes of double SHA-256 appended).
SecretBytes serialize(std::uint32_t version, std::uint8_t depth, const std::array<std::uint8_t, 4>& parent,
                      std::uint32_t child, ByteView chain_code, ByteView key33) {
  SecretBytes out(kSerializedSize + 4);
  std::uint8_t* p = out.expose_mutable().data();
  put32(p, version);
  p[4] = depth;
  std::copy(parent.begin(), parent.end(), p + 5);
  put32(p + 9, child);
  std::copy(chain_code.begin(), chain_code.end(), p + 13);
  std::copy(key33.begin(), key33.end(), p + 45);
  const auto check = crypto::sha256(crypto::sha256(out.expose().first(kSerializedSize)));
  std::copy_n(check.begin(), 4, p + kSerializedSize);
  return out;
}

}  // namespace

SecretBytes ExtendedPrivateKey::to_xprv() const {
  Secret<33> key33;  // 0x00 ‖ ser256(k)
  std::copy_n(key_.secret().expose().begin(), 32, key33.expose_mutable().begin() + 1);
  const SecretBytes raw =
      serialize(kXprvVersion, depth_, parent_fingerprint_, child_number_, chain_code_.expose(), key33.expose());
  std::string text = to_base58(raw.expose());
  SecretBytes out(as_bytes(text));
  secure_wipe(text.data(), text.size());
  return out;
}

std::string ExtendedPrivateKey::to_xpub() const {
  const SecretBytes raw =
      serialize(kXpubVersion, depth_, parent_fingerprint_, child_number_, chain_code_.expose(), public_key());
  return to_base58(raw.expose());
}

}  // namespace keylink::identity
