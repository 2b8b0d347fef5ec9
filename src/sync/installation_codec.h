// The encoding of an Installation inside records and lists (internal).
#pragma once

#include "keylink/sync/installation.h"
#include "sync/codec.h"

namespace keylink::sync {

void write_installation(codec::Writer& w, const Installation& installation);
// Leaves the reader failed on malformed input (an unknown status, a name over its limit, a removed
// version on an enabled installation or none on a removed one).
Installation read_installation(codec::Reader& r);

// The secp256k1 signature as 65 bytes: r ‖ s ‖ recovery id.
void write_signature(codec::Writer& w, const crypto::RecoverableSignature& signature);
crypto::RecoverableSignature read_signature(codec::Reader& r);

}  // namespace keylink::sync
