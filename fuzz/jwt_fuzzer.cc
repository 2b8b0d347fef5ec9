// Verifies arbitrary text as a relay auth JWT: an error with a message, never a crash; and a token
// that verifies names an issuer that is a valid did:key.
#include "fuzz_util.h"
#include "keylink/crypto/did_key.h"
#include "keylink/crypto/jwt.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto claims = keylink::crypto::verify_relay_auth_jwt(fuzz_text(data, size));
  if (!claims) {
    FUZZ_ASSERT(!claims.error().message.empty());
    return 0;
  }
  FUZZ_ASSERT(keylink::crypto::ed25519_from_did_key(claims->iss));
  return 0;
}
