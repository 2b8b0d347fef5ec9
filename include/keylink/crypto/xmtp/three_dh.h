// XMTP's triple Diffie-Hellman, a variant of X3DH where the sender's pre-key stands in for the
// ephemeral key. Each DH is the full uncompressed secp256k1 point (65 bytes); the secret is their
// concatenation, 195 bytes:
//   sender    (is_recipient = false): DH(my identity, peer pre-key) ‖ DH(my pre-key, peer identity) ‖
//                                     DH(my pre-key, peer pre-key)
//   recipient (is_recipient = true):  DH(my pre-key, peer identity) ‖ DH(my identity, peer pre-key) ‖
//                                     DH(my pre-key, peer pre-key)
// so a sender and a recipient holding each other's public halves derive the same bytes.
// REQUIRES nothing: checking that the peer's pre-key is signed by its identity key is the caller's job
// (keylink/wire/xmtp/signatures.h). Thread-safe.
#pragma once

#include <cstddef>

#include "keylink/base/result.h"
#include "keylink/base/secret.h"
#include "keylink/crypto/secp256k1.h"

namespace keylink::crypto::xmtp {

inline constexpr std::size_t kThreeDhSecretSize = 3 * 65;
using ThreeDhSecret = Secret<kThreeDhSecretSize>;

struct ThreeDhKeys {
  const Secp256k1PrivateKey& identity;
  const Secp256k1PrivateKey& pre_key;
};

struct ThreeDhPeer {
  const Secp256k1PublicKey& identity;
  const Secp256k1PublicKey& pre_key;
};

// Fails with Errc::kBadKey when a peer key is not on the curve.
Result<ThreeDhSecret> three_dh(const ThreeDhKeys& mine, const ThreeDhPeer& peer, bool is_recipient);

}  // namespace keylink::crypto::xmtp
