// did:key identifiers for Ed25519 keys: "did:key:z" ‖ base58btc(0xed 0x01 ‖ public key).
// A relay client's id is its did:key.
#pragma once

#include <string>
#include <string_view>

#include "keylink/base/result.h"
#include "keylink/crypto/ed25519.h"

namespace keylink::crypto {

std::string did_key_from_ed25519(const Ed25519PublicKey& public_key);
// Fails with Errc::kMalformed for another DID method, multibase or length, and kUnsupported for a key
// type other than Ed25519.
Result<Ed25519PublicKey> ed25519_from_did_key(std::string_view did);

}  // namespace keylink::crypto
