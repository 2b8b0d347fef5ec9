#include "keylink/crypto/pbkdf2.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "keylink/base/check.h"

namespace keylink::crypto {

Secret<64> hmac_sha512(ByteView key, ByteView data) {
  Secret<64> out;
  unsigned int size = 0;
  // OpenSSL takes a null key pointer for an empty key only with a length of 0, which is what we pass.
  KEYLINK_CHECK(HMAC(EVP_sha512(), key.data(), static_cast<int>(key.size()), data.data(), data.size(),
                     out.expose_mutable().data(), &size) != nullptr);
  KEYLINK_CHECK(size == out.kSize);
  return out;
}

Secret<64> pbkdf2_hmac_sha512(ByteView password, ByteView salt, std::uint32_t iterations) {
  KEYLINK_CHECK(iterations >= 1 && iterations <= kMaxPbkdf2Iterations);
  Secret<64> out;
  // PKCS5_PBKDF2_HMAC takes a char* password; a null pointer with length 0 is an empty password.
  KEYLINK_CHECK(PKCS5_PBKDF2_HMAC(reinterpret_cast<const char*>(password.data()), static_cast<int>(password.size()),
                                  salt.data(), static_cast<int>(salt.size()), static_cast<int>(iterations),
                                  EVP_sha512(), static_cast<int>(out.kSize), out.expose_mutable().data()) == 1);
  return out;
}

}  // namespace keylink::crypto
