#include "keylink/crypto/errors.h"

#include <string>

namespace keylink::crypto {
namespace {

class CryptoCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "keylink.crypto"; }
  std::string message(int code) const override {
    switch (static_cast<Errc>(code)) {
      case Errc::kBadKey: return "not a valid key";
      case Errc::kWeakKey: return "weak or low-order key";
      case Errc::kBadSignature: return "signature does not verify";
      case Errc::kDecryptFailed: return "decryption failed";
      case Errc::kMalformed: return "malformed input";
      case Errc::kUnsupported: return "unsupported algorithm or variant";
      case Errc::kTooLarge: return "input too large";
    }
    return "unknown error";
  }
};

}  // namespace

const std::error_category& crypto_category() noexcept {
  static const CryptoCategory category;
  return category;
}

}  // namespace keylink::crypto
