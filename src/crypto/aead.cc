#include "keylink/crypto/aead.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <climits>
#include <memory>

#include "crypto/sodium_init.h"
#include "keylink/base/check.h"
#include "keylink/crypto/errors.h"

namespace keylink::crypto {
namespace {

static_assert(crypto_aead_chacha20poly1305_ietf_KEYBYTES == kAeadKeySize);
static_assert(crypto_aead_chacha20poly1305_ietf_NPUBBYTES == kAeadNonceSize);
static_assert(crypto_aead_chacha20poly1305_ietf_ABYTES == kAeadTagSize);

constexpr const char* kOpenFailed = "AEAD open failed: wrong key or tampered data";

Error too_short() {
  return Error{make_error_code(Errc::kMalformed), "AEAD open failed: sealed data is shorter than its 16-byte tag"};
}

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const noexcept { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

int int_size(size_t size) {
  KEYLINK_CHECK(size <= static_cast<size_t>(INT_MAX));
  return static_cast<int>(size);
}

// Starts AES-256-GCM with a 12-byte IV (OpenSSL's default IV length) and feeds the AAD.
CipherCtx gcm_start(const Secret<32>& key, const AeadNonce& nonce, ByteView aad, bool encrypt) {
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  KEYLINK_CHECK(ctx != nullptr);
  KEYLINK_CHECK(EVP_CipherInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.expose().data(), nonce.data(),
                                  encrypt ? 1 : 0) == 1);
  int written = 0;
  if (!aad.empty()) {
    KEYLINK_CHECK(EVP_CipherUpdate(ctx.get(), nullptr, &written, aad.data(), int_size(aad.size())) == 1);
  }
  return ctx;
}

}  // namespace

void chacha20poly1305_seal_into(const Secret<32>& key, const AeadNonce& nonce, ByteView plaintext, ByteView aad,
                                std::span<std::uint8_t> out) {
  KEYLINK_CHECK(out.size() == plaintext.size() + kAeadTagSize);
  detail::ensure_sodium();
  unsigned long long written = 0;
  crypto_aead_chacha20poly1305_ietf_encrypt(out.data(), &written, plaintext.data(), plaintext.size(), aad.data(),
                                            aad.size(), nullptr, nonce.data(), key.expose().data());
  KEYLINK_CHECK(written == out.size());
}

Result<void> chacha20poly1305_open_into(const Secret<32>& key, const AeadNonce& nonce, ByteView sealed, ByteView aad,
                                        std::span<std::uint8_t> out) {
  if (sealed.size() < kAeadTagSize) return fail(too_short());
  KEYLINK_CHECK(out.size() + kAeadTagSize == sealed.size());
  detail::ensure_sodium();
  if (crypto_aead_chacha20poly1305_ietf_decrypt(out.data(), nullptr, nullptr, sealed.data(), sealed.size(), aad.data(),
                                                aad.size(), nonce.data(), key.expose().data()) != 0) {
    secure_wipe(out.data(), out.size());
    return fail(Errc::kDecryptFailed, kOpenFailed);
  }
  return {};
}

Bytes chacha20poly1305_seal(const Secret<32>& key, const AeadNonce& nonce, ByteView plaintext, ByteView aad) {
  Bytes out(plaintext.size() + kAeadTagSize);
  chacha20poly1305_seal_into(key, nonce, plaintext, aad, out);
  return out;
}

Result<Bytes> chacha20poly1305_open(const Secret<32>& key, const AeadNonce& nonce, ByteView sealed, ByteView aad) {
  if (sealed.size() < kAeadTagSize) return fail(too_short());
  Bytes out(sealed.size() - kAeadTagSize);
  if (auto opened = chacha20poly1305_open_into(key, nonce, sealed, aad, out); !opened) return fail(opened.error());
  return out;
}

Bytes aes256gcm_seal(const Secret<32>& key, const AeadNonce& nonce, ByteView plaintext, ByteView aad) {
  CipherCtx ctx = gcm_start(key, nonce, aad, true);
  Bytes out(plaintext.size() + kAeadTagSize);
  int written = 0;
  int final_written = 0;
  KEYLINK_CHECK(EVP_EncryptUpdate(ctx.get(), out.data(), &written, plaintext.data(), int_size(plaintext.size())) == 1);
  KEYLINK_CHECK(EVP_EncryptFinal_ex(ctx.get(), out.data() + written, &final_written) == 1);
  KEYLINK_CHECK(static_cast<size_t>(written + final_written) == plaintext.size());
  KEYLINK_CHECK(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kAeadTagSize),
                                    out.data() + plaintext.size()) == 1);
  return out;
}

Result<Bytes> aes256gcm_open(const Secret<32>& key, const AeadNonce& nonce, ByteView sealed, ByteView aad) {
  if (sealed.size() < kAeadTagSize) return fail(too_short());
  if (sealed.size() > static_cast<size_t>(INT_MAX)) {
    return fail(Errc::kTooLarge, "AES-256-GCM open: sealed data larger than 2 GiB");
  }
  const size_t text_size = sealed.size() - kAeadTagSize;
  CipherCtx ctx = gcm_start(key, nonce, aad, false);
  Bytes out(text_size);
  int written = 0;
  int final_written = 0;
  KEYLINK_CHECK(EVP_DecryptUpdate(ctx.get(), out.data(), &written, sealed.data(), int_size(text_size)) == 1);
  // OpenSSL only reads the expected tag; the parameter is not const.
  auto* tag = const_cast<std::uint8_t*>(sealed.data() + text_size);
  KEYLINK_CHECK(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kAeadTagSize), tag) == 1);
  if (EVP_DecryptFinal_ex(ctx.get(), out.data() + written, &final_written) != 1) {
    secure_wipe(out.data(), out.size());
    return fail(Errc::kDecryptFailed, kOpenFailed);
  }
  return out;
}

}  // namespace keylink::crypto
