#include "keylink/crypto/hash.h"

#include <cryptopp/cryptlib.h>
#include <cryptopp/keccak.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <sodium.h>

#include <memory>
#include <string>

#include "crypto/sodium_init.h"
#include "keylink/base/check.h"
#include "keylink/crypto/errors.h"

namespace keylink::crypto {
namespace {

struct KdfDeleter {
  void operator()(EVP_KDF* kdf) const noexcept { EVP_KDF_free(kdf); }
  void operator()(EVP_KDF_CTX* ctx) const noexcept { EVP_KDF_CTX_free(ctx); }
};

OSSL_PARAM octets(const char* name, ByteView bytes) {
  // OpenSSL only reads these; the parameter type is not const.
  return OSSL_PARAM_construct_octet_string(name, const_cast<std::uint8_t*>(bytes.data()), bytes.size());
}

// REQUIRES: 0 < out.size() <= kMaxHkdfLength. Failure here means OpenSSL itself is broken.
void hkdf_into(ByteView ikm, ByteView salt, ByteView info, std::span<std::uint8_t> out) {
  std::unique_ptr<EVP_KDF, KdfDeleter> kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr));
  KEYLINK_CHECK(kdf != nullptr);
  std::unique_ptr<EVP_KDF_CTX, KdfDeleter> ctx(EVP_KDF_CTX_new(kdf.get()));
  KEYLINK_CHECK(ctx != nullptr);
  char digest[] = "SHA256";
  OSSL_PARAM params[5];
  size_t n = 0;
  params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
  params[n++] = octets(OSSL_KDF_PARAM_KEY, ikm);
  // RFC 5869: no salt is a salt of HashLen zeros, which HMAC's key padding gives an empty salt too.
  if (!salt.empty()) params[n++] = octets(OSSL_KDF_PARAM_SALT, salt);
  if (!info.empty()) params[n++] = octets(OSSL_KDF_PARAM_INFO, info);
  params[n] = OSSL_PARAM_construct_end();
  KEYLINK_CHECK(EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) == 1);
}

}  // namespace

Digest32 sha256(ByteView data) { return sha256({data}); }

Digest32 sha256(std::initializer_list<ByteView> parts) {
  // Fetched once: EVP_sha256() looks the implementation up (under a lock) on every use, which costs
  // more than hashing a short message. A context per thread, so that no call allocates.
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  struct ContextDeleter {
    void operator()(EVP_MD_CTX* ctx) const noexcept { EVP_MD_CTX_free(ctx); }
  };
  thread_local const std::unique_ptr<EVP_MD_CTX, ContextDeleter> context(EVP_MD_CTX_new());
  KEYLINK_CHECK(kSha256 != nullptr && context != nullptr);
  KEYLINK_CHECK(EVP_DigestInit_ex2(context.get(), kSha256, nullptr) == 1);
  for (ByteView part : parts) KEYLINK_CHECK(EVP_DigestUpdate(context.get(), part.data(), part.size()) == 1);
  Digest32 out{};
  unsigned int size = 0;
  KEYLINK_CHECK(EVP_DigestFinal_ex(context.get(), out.data(), &size) == 1);
  return out;
}

Digest64 sha512(ByteView data) {
  detail::ensure_sodium();
  Digest64 out{};
  crypto_hash_sha512(out.data(), data.data(), data.size());
  return out;
}

Digest32 keccak256(ByteView data) {
  Digest32 out{};
  try {
    CryptoPP::Keccak_256 hash;
    hash.Update(data.data(), data.size());
    hash.Final(out.data());
  } catch (const CryptoPP::Exception&) {
    KEYLINK_CHECK(false);  // Crypto++ threw on a plain hash: a broken library
  }
  return out;
}

Digest32 hmac_sha256(ByteView key, ByteView data) {
  Digest32 out{};
  unsigned int size = 0;
  const auto key_size = static_cast<int>(key.size());
  KEYLINK_CHECK(key.size() == static_cast<size_t>(key_size));
  KEYLINK_CHECK(HMAC(EVP_sha256(), key.data(), key_size, data.data(), data.size(), out.data(), &size) != nullptr);
  return out;
}

Result<SecretBytes> hkdf_sha256(ByteView ikm, ByteView salt, ByteView info, std::size_t length) {
  if (length == 0 || length > kMaxHkdfLength) {
    return fail(Errc::kTooLarge, "HKDF-SHA256 output must be 1 to " + std::to_string(kMaxHkdfLength) +
                                     " bytes, asked for " + std::to_string(length));
  }
  SecretBytes out(length);
  hkdf_into(ikm, salt, info, out.expose_mutable());
  return out;
}

Secret<32> hkdf_sha256_32(ByteView ikm, ByteView salt, ByteView info) {
  Secret<32> out;
  hkdf_into(ikm, salt, info, out.expose_mutable());
  return out;
}

}  // namespace keylink::crypto
