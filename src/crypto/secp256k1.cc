#include "keylink/crypto/secp256k1.h"

#include <secp256k1.h>
#include <secp256k1_ecdh.h>
#include <secp256k1_recovery.h>
#include <sodium.h>

#include <algorithm>

#include "crypto/sodium_init.h"
#include "keylink/base/check.h"
#include "keylink/crypto/errors.h"

namespace keylink::crypto {
namespace {

// One context for the process, created and blinded on first use and never freed (libsecp256k1 contexts
// are safe to share once randomized).
const secp256k1_context* context() {
  static const secp256k1_context* const ctx = [] {
    secp256k1_context* created = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    KEYLINK_CHECK(created != nullptr);
    detail::ensure_sodium();
    Secret<32> seed;
    randombytes_buf(seed.expose_mutable().data(), seed.kSize);
    KEYLINK_CHECK(secp256k1_context_randomize(created, seed.expose().data()) == 1);
    return created;
  }();
  return ctx;
}

Secp256k1PublicKey serialize(const secp256k1_pubkey& key) {
  Secp256k1PublicKey out{};
  size_t size = out.size();
  KEYLINK_CHECK(secp256k1_ec_pubkey_serialize(context(), out.data(), &size, &key, SECP256K1_EC_UNCOMPRESSED) == 1);
  return out;
}

Result<secp256k1_pubkey> parse(ByteView bytes) {
  secp256k1_pubkey key;
  // libsecp256k1 also takes the 65-byte "hybrid" forms 0x06/0x07; nobody we talk to sends them.
  const bool known_prefix =
      (bytes.size() == 33 && (bytes[0] == 0x02 || bytes[0] == 0x03)) || (bytes.size() == 65 && bytes[0] == 0x04);
  if (!known_prefix || secp256k1_ec_pubkey_parse(context(), &key, bytes.data(), bytes.size()) != 1) {
    return fail(Errc::kBadKey,
                "not a secp256k1 public key: expected 33 compressed or 65 uncompressed bytes of a "
                "point on the curve");
  }
  return key;
}

// ECDH "hash" functions that copy the shared point instead of hashing it (XMTP uses the raw point).
int copy_point(unsigned char* output, const unsigned char* x32, const unsigned char* y32, void*) {
  output[0] = 0x04;
  std::copy_n(x32, 32, output + 1);
  std::copy_n(y32, 32, output + 33);
  return 1;
}

int copy_x(unsigned char* output, const unsigned char* x32, const unsigned char*, void*) {
  std::copy_n(x32, 32, output);
  return 1;
}

template <std::size_t N>
Result<Secret<N>> ecdh(const Secret<32>& secret, const Secp256k1PublicKey& peer, secp256k1_ecdh_hash_function fn) {
  auto peer_key = parse(peer);
  if (!peer_key) return fail(keylink::context("ECDH peer key", peer_key.error()));
  Secret<N> shared;
  KEYLINK_CHECK(
      secp256k1_ecdh(context(), shared.expose_mutable().data(), &*peer_key, secret.expose().data(), fn, nullptr) == 1);
  return shared;
}

}  // namespace

Result<Secp256k1PrivateKey> Secp256k1PrivateKey::from_bytes(const Secret<32>& bytes) {
  if (secp256k1_ec_seckey_verify(context(), bytes.expose().data()) != 1) {
    return fail(Errc::kBadKey, "not a secp256k1 private key: it must be between 1 and the group order minus 1");
  }
  secp256k1_pubkey key;
  KEYLINK_CHECK(secp256k1_ec_pubkey_create(context(), &key, bytes.expose().data()) == 1);
  return Secp256k1PrivateKey(bytes.clone(), serialize(key));
}

Secp256k1PrivateKey Secp256k1PrivateKey::generate(Rng& rng) {
  for (;;) {  // a random 32 bytes is out of range with probability about 2^-128
    Secret<32> candidate;
    rng.fill(candidate.expose_mutable());
    if (auto key = from_bytes(candidate)) return std::move(*key);
  }
}

RecoverableSignature Secp256k1PrivateKey::sign_recoverable(const Digest32& digest) const {
  secp256k1_ecdsa_recoverable_signature signature;
  // A null nonce function selects RFC 6979; libsecp256k1 always produces low S.
  KEYLINK_CHECK(secp256k1_ecdsa_sign_recoverable(context(), &signature, digest.data(), secret_.expose().data(), nullptr,
                                                 nullptr) == 1);
  RecoverableSignature out;
  int recovery_id = 0;
  KEYLINK_CHECK(secp256k1_ecdsa_recoverable_signature_serialize_compact(context(), out.compact.data(), &recovery_id,
                                                                        &signature) == 1);
  out.recovery_id = static_cast<std::uint8_t>(recovery_id);
  return out;
}

Result<Secret<65>> Secp256k1PrivateKey::ecdh_point(const Secp256k1PublicKey& peer) const {
  return ecdh<65>(secret_, peer, copy_point);
}

Result<Secret<32>> Secp256k1PrivateKey::ecdh_x(const Secp256k1PublicKey& peer) const {
  return ecdh<32>(secret_, peer, copy_x);
}

Result<Secp256k1PublicKey> secp256k1_parse_public_key(ByteView bytes) {
  auto key = parse(bytes);
  if (!key) return fail(key.error());
  return serialize(*key);
}

Result<Secp256k1PublicKey> secp256k1_recover(const Digest32& digest, const RecoverableSignature& signature) {
  secp256k1_ecdsa_recoverable_signature parsed;
  secp256k1_pubkey key;
  if (signature.recovery_id > 3 ||
      secp256k1_ecdsa_recoverable_signature_parse_compact(context(), &parsed, signature.compact.data(),
                                                          signature.recovery_id) != 1 ||
      secp256k1_ecdsa_recover(context(), &key, &parsed, digest.data()) != 1) {
    return fail(Errc::kBadSignature,
                "no secp256k1 public key recovers from this signature: it is corrupt or not "
                "over this message");
  }
  return serialize(key);
}

Result<void> secp256k1_verify(const Secp256k1PublicKey& public_key, const Digest32& digest,
                              const CompactSignature& signature) {
  auto key = parse(public_key);
  if (!key) return fail(key.error());
  secp256k1_ecdsa_signature parsed;
  if (secp256k1_ecdsa_signature_parse_compact(context(), &parsed, signature.data()) != 1) {
    return fail(Errc::kBadSignature, "secp256k1 signature is malformed: r or s is not below the group order");
  }
  // normalize() reports whether S was high; verify() would refuse it without saying why.
  if (secp256k1_ecdsa_signature_normalize(context(), nullptr, &parsed) == 1) {
    return fail(Errc::kBadSignature, "secp256k1 signature has a high S value; only low-S signatures are accepted");
  }
  if (secp256k1_ecdsa_verify(context(), &parsed, digest.data(), &*key) != 1) {
    return fail(Errc::kBadSignature,
                "secp256k1 signature does not verify: the data was changed or signed by another "
                "key");
  }
  return {};
}

}  // namespace keylink::crypto
