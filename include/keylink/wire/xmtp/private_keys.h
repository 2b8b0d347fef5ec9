// XMTP private key bundles (message_contents.PrivateKeyBundle{v1 | v2}) as domain types, and the 3DH
// secret between a private bundle and a peer's public bundle.
//
// The private keys are secrets: decode checks that each private key matches the public key it carries
// and holds it in a Secp256k1PrivateKey (wiped on destruction). The protobuf buffers they were parsed
// from are not wiped by libprotobuf: callers should wipe the input bytes they own.
#pragma once

#include <cstdint>
#include <variant>
#include <vector>

#include "keylink/base/bytes.h"
#include "keylink/base/result.h"
#include "keylink/crypto/secp256k1.h"
#include "keylink/crypto/xmtp/three_dh.h"
#include "keylink/wire/xmtp/keys.h"

namespace keylink::wire::xmtp {

inline constexpr std::size_t kMaxPrivateKeyBundleSize = 256 * 1024;

struct SignedPrivateKey {
  std::uint64_t created_ns = 0;
  crypto::Secp256k1PrivateKey secret;
  SignedPublicKey public_key;
};

struct PrivateKeyBundleV2 {
  SignedPrivateKey identity_key;
  std::vector<SignedPrivateKey> pre_keys;  // newest first; the first is the one advertised
};

// The legacy form; timestamps in milliseconds.
struct PrivateKey {
  std::uint64_t timestamp = 0;
  crypto::Secp256k1PrivateKey secret;
  PublicKey public_key;
};

struct PrivateKeyBundleV1 {
  PrivateKey identity_key;
  std::vector<PrivateKey> pre_keys;
};

using PrivateKeyBundle = std::variant<PrivateKeyBundleV1, PrivateKeyBundleV2>;

// At least one pre-key is required (the bundle is unusable without one).
Result<PrivateKeyBundle> decode_private_key_bundle(ByteView bytes);
Bytes encode(const PrivateKeyBundleV1& bundle);  // as PrivateKeyBundle{v1}
Bytes encode(const PrivateKeyBundleV2& bundle);  // as PrivateKeyBundle{v2}

// The public bundle a V2 private bundle advertises: its identity key and its first pre-key.
SignedPublicKeyBundle public_bundle(const PrivateKeyBundleV2& bundle);

// The public bundle a V1 private bundle advertises: its identity key and its first pre-key.
PublicKeyBundle public_bundle(const PrivateKeyBundleV1& bundle);

// xmtp-js PrivateKeyBundleV2.sharedSecret: checks the peer's pre-key signature (signatures.h), finds my
// pre-key whose public key is my_pre_key, and runs crypto::xmtp::three_dh.
// Fails with kMalformed when no pre-key of mine matches, crypto::Errc::kBadSignature when the peer's
// pre-key is not signed by its identity key.
Result<crypto::xmtp::ThreeDhSecret> shared_secret(const PrivateKeyBundleV2& mine,
                                                  const crypto::Secp256k1PublicKey& my_pre_key,
                                                  const SignedPublicKeyBundle& peer, bool is_recipient);

// xmtp-js PrivateKeyBundleV1.sharedSecret, the secret of V1 messages: the same 3DH over legacy keys.
// The peer's pre-key must carry a signature by its identity key over sha256 of the pre-key encoded
// without its signature (PublicKey{timestamp, secp256k1_uncompressed}); like xmtp-js, a signature
// filed as wallet_ecdsa_compact counts as ecdsa_compact (older Flutter clients wrote it so).
// Fails as the V2 form does: kMalformed when no pre-key of mine matches my_pre_key,
// crypto::Errc::kBadSignature when the peer's pre-key is unsigned or not signed by its identity key.
Result<crypto::xmtp::ThreeDhSecret> shared_secret(const PrivateKeyBundleV1& mine,
                                                  const crypto::Secp256k1PublicKey& my_pre_key,
                                                  const PublicKeyBundle& peer, bool is_recipient);

}  // namespace keylink::wire::xmtp
