#include "keylink/crypto/argon2.h"

#include <sodium.h>

#include <string>

#include "crypto/sodium_init.h"
#include "keylink/crypto/errors.h"

namespace keylink::crypto {

Result<Secret<32>> argon2id(ByteView passphrase, const Argon2Salt& salt, const Argon2Params& params) {
  static_assert(sizeof(Argon2Salt) == crypto_pwhash_argon2id_SALTBYTES);
  if (params.iterations < crypto_pwhash_argon2id_OPSLIMIT_MIN ||
      params.iterations > crypto_pwhash_argon2id_OPSLIMIT_MAX) {
    return fail(Errc::kUnsupported, "Argon2id iterations must be at least " +
                                        std::to_string(crypto_pwhash_argon2id_OPSLIMIT_MIN) + ", got " +
                                        std::to_string(params.iterations));
  }
  if (params.memory_bytes < crypto_pwhash_argon2id_MEMLIMIT_MIN ||
      params.memory_bytes > crypto_pwhash_argon2id_MEMLIMIT_MAX) {
    return fail(Errc::kUnsupported, "Argon2id memory must be at least " +
                                        std::to_string(crypto_pwhash_argon2id_MEMLIMIT_MIN) + " bytes, got " +
                                        std::to_string(params.memory_bytes));
  }
  if (passphrase.size() > crypto_pwhash_argon2id_PASSWD_MAX) {
    return fail(Errc::kUnsupported, "Argon2id passphrase longer than libsodium accepts");
  }
  detail::ensure_sodium();
  Secret<32> key;
  // libsodium declares the passphrase pointer non-null even for an empty passphrase.
  static const char kEmpty = '\0';
  const char* text = passphrase.empty() ? &kEmpty : reinterpret_cast<const char*>(passphrase.data());
  // With the bounds checked above, crypto_pwhash fails only when it cannot allocate the memory.
  if (crypto_pwhash(key.expose_mutable().data(), key.kSize, text, passphrase.size(), salt.data(), params.iterations,
                    params.memory_bytes, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return fail(Errc::kTooLarge, "Argon2id could not allocate " + std::to_string(params.memory_bytes) +
                                     " bytes; lower the memory parameter or free memory");
  }
  return key;
}

}  // namespace keylink::crypto
