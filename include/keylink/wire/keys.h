// WalletConnect key derivations: topics from keys, session keys from X25519 agreements.
#pragma once

#include <string>
#include <string_view>

#include "keylink/base/bytes.h"
#include "keylink/base/result.h"
#include "keylink/base/secret.h"
#include "keylink/crypto/x25519.h"

namespace keylink::wire {

// hex(sha256(key)): the pairing topic of a symKey, the session topic of a session key, the reply
// topic of a type-1 envelope (the receiver's public key).
std::string topic_of(ByteView key);

// HKDF-SHA256(X25519(mine, theirs)), no salt, no info, 32 bytes. Fails with crypto::Errc::kWeakKey for
// a peer key that gives an all-zero secret.
Result<Secret<32>> derive_sym_key(const Secret<32>& my_private_key, const crypto::X25519PublicKey& peer_public_key);

// hex(sha256(utf8 message)): WalletConnect's message hash, used to recognise the same message twice.
std::string hash_message(std::string_view message);

}  // namespace keylink::wire
