// XMTP public keys, signatures and bundles (message_contents), as validated domain types.
//
// decode_* parse protobuf bytes from anywhere (a contact topic, a header, a peer) and refuse what is
// not a well-formed key: a missing field, a key that is not an uncompressed secp256k1 point on the
// curve, a signature that is not 64 bytes with a recovery id 0..3, bytes over the limit, truncated or
// garbage protobuf. Errors are wire::Errc::kMalformed / kTooLarge and name the field
// ("SignedPublicKey.key_bytes: missing"). Fields this schema does not know are dropped.
// encode() gives the bytes xmtp-js gives for the same value; a decoded SignedPublicKey keeps the exact
// key bytes its signature covers, so decode then encode returns the input when xmtp-js wrote it.
// These types say nothing about who signed what: keylink/wire/xmtp/signatures.h checks that.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "keylink/base/bytes.h"
#include "keylink/base/result.h"
#include "keylink/crypto/secp256k1.h"

namespace keylink::wire::xmtp {

// Keys, bundles and signatures are small; anything near this is not one.
inline constexpr std::size_t kMaxKeyMessageSize = 16 * 1024;

enum class SignatureKind {
  kEcdsaCompact,        // by another XMTP key (an identity key over its pre-key)
  kWalletEcdsaCompact,  // by a wallet, EIP-191 over create_identity_text()
};

struct Signature {
  SignatureKind kind = SignatureKind::kEcdsaCompact;
  crypto::RecoverableSignature value;
};

struct UnsignedPublicKey {
  std::uint64_t created_ns = 0;
  crypto::Secp256k1PublicKey key{};
};

struct SignedPublicKey {
  Bytes key_bytes;        // the encoded UnsignedPublicKey, exactly as signed
  UnsignedPublicKey key;  // key_bytes, decoded
  Signature signature;
};

struct SignedPublicKeyBundle {
  SignedPublicKey identity_key;
  SignedPublicKey pre_key;
};

// The legacy (V1) public key; timestamp in milliseconds.
struct PublicKey {
  std::uint64_t timestamp = 0;
  std::optional<Signature> signature;
  crypto::Secp256k1PublicKey key{};
};

struct PublicKeyBundle {
  PublicKey identity_key;
  PublicKey pre_key;
};

Result<Signature> decode_signature(ByteView bytes);
Result<UnsignedPublicKey> decode_unsigned_public_key(ByteView bytes);
Result<SignedPublicKey> decode_signed_public_key(ByteView bytes);
Result<SignedPublicKeyBundle> decode_signed_public_key_bundle(ByteView bytes);
Result<PublicKey> decode_public_key(ByteView bytes);
Result<PublicKeyBundle> decode_public_key_bundle(ByteView bytes);

Bytes encode(const Signature& signature);
Bytes encode(const UnsignedPublicKey& key);
// REQUIRES: key.key_bytes is the encoding of key.key (as decode and the identity layer make it).
Bytes encode(const SignedPublicKey& key);
Bytes encode(const SignedPublicKeyBundle& bundle);
Bytes encode(const PublicKey& key);
Bytes encode(const PublicKeyBundle& bundle);

// A SignedPublicKey over an unsigned key: key_bytes = encode(key).
SignedPublicKey make_signed_public_key(const UnsignedPublicKey& key, const Signature& signature);

}  // namespace keylink::wire::xmtp
