#include "keylink/crypto/did_key.h"

#include <algorithm>

#include "keylink/base/encoding.h"
#include "keylink/crypto/errors.h"

namespace keylink::crypto {
namespace {

constexpr std::string_view kPrefix = "did:key:z";       // did:key method, multibase 'z' = base58btc
constexpr std::uint8_t kEd25519Codec[] = {0xed, 0x01};  // multicodec ed25519-pub, as an unsigned varint
constexpr std::size_t kMaxDidLength = 128;              // an Ed25519 did:key is 56 characters

}  // namespace

std::string did_key_from_ed25519(const Ed25519PublicKey& public_key) {
  return std::string(kPrefix) + to_base58(concat(kEd25519Codec, public_key));
}

Result<Ed25519PublicKey> ed25519_from_did_key(std::string_view did) {
  if (did.size() > kMaxDidLength) return fail(Errc::kMalformed, "did:key too long to be an Ed25519 key");
  if (!did.starts_with("did:key:")) return fail(Errc::kMalformed, "not a did:key identifier (expected \"did:key:\")");
  if (!did.starts_with(kPrefix)) return fail(Errc::kMalformed, "did:key must use base58btc multibase ('z')");
  auto decoded = from_base58(did.substr(kPrefix.size()));
  if (!decoded) return fail(Errc::kMalformed, "did:key: " + decoded.error().message);
  if (decoded->size() < 2) return fail(Errc::kMalformed, "did:key too short to name a key type");
  if (!std::equal(std::begin(kEd25519Codec), std::end(kEd25519Codec), decoded->begin())) {
    return fail(Errc::kUnsupported, "did:key is not an Ed25519 key (multicodec 0xed); only Ed25519 is accepted");
  }
  Ed25519PublicKey key{};
  if (decoded->size() != 2 + key.size()) {
    return fail(Errc::kMalformed, "did:key Ed25519 key must be 32 bytes, got " + std::to_string(decoded->size() - 2));
  }
  std::copy(decoded->begin() + 2, decoded->end(), key.begin());
  return key;
}

}  // namespace keylink::crypto
