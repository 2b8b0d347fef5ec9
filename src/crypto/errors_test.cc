#include "keylink/crypto/errors.h"

#include <gtest/gtest.h>

namespace keylink::crypto {
namespace {

TEST(CryptoErrors, CodesBelongToTheCryptoCategory) {
  const std::error_code code = Errc::kDecryptFailed;
  EXPECT_EQ(code.category().name(), std::string("keylink.crypto"));
  EXPECT_EQ(code.message(), "decryption failed");
  EXPECT_NE(code, std::error_code(keylink::Errc::kInvalidEncoding));
}

}  // namespace
}  // namespace keylink::crypto
