#include "keylink/base/encoding.h"

#include <gtest/gtest.h>

namespace keylink {
namespace {

TEST(Hex, RoundTripsAndIsLowercase) {
  const Bytes bytes = {0x00, 0x01, 0xab, 0xff};
  EXPECT_EQ(to_hex(bytes), "0001abff");
  EXPECT_EQ(from_hex("0001ABff").value(), bytes);
  EXPECT_EQ(from_hex("").value(), Bytes{});
}

TEST(Hex, RejectsOddLengthAndNonDigits) {
  for (std::string_view bad : {"0", "0g", "0x00", " 00", "00 ", "0:00"}) {
    auto decoded = from_hex(bad);
    ASSERT_FALSE(decoded) << bad;
    EXPECT_EQ(decoded.error().code, Errc::kInvalidEncoding);
  }
}

TEST(Hex, FixedArrayChecksLength) {
  EXPECT_TRUE(from_hex_array<2>("beef"));
  auto short_input = from_hex_array<3>("beef");
  ASSERT_FALSE(short_input);
  EXPECT_EQ(short_input.error().code, Errc::kWrongLength);
  EXPECT_EQ(short_input.error().message, "expected 6 hex digits, got 4");
}

// RFC 4648 section 10.
TEST(Base64, Rfc4648Vectors) {
  const std::pair<std::string_view, std::string_view> vectors[] = {{"", ""},
                                                                   {"f", "Zg=="},
                                                                   {"fo", "Zm8="},
                                                                   {"foo", "Zm9v"},
                                                                   {"foob", "Zm9vYg=="},
                                                                   {"fooba", "Zm9vYmE="},
                                                                   {"foobar", "Zm9vYmFy"}};
  for (auto [plain, encoded] : vectors) {
    EXPECT_EQ(to_base64(as_bytes(plain)), encoded);
    EXPECT_EQ(from_base64(encoded).value(), to_bytes(plain));
  }
}

TEST(Base64, VariantsUseTheirAlphabetAndPadding) {
  const Bytes bytes = {0xfb, 0xff, 0xbf};
  EXPECT_EQ(to_base64(bytes, Base64::kStandard), "+/+/");
  EXPECT_EQ(to_base64(bytes, Base64::kUrl), "-_-_");
  const Bytes one = {0xfb};
  EXPECT_EQ(to_base64(one, Base64::kStandard), "+w==");
  EXPECT_EQ(to_base64(one, Base64::kStandardUnpadded), "+w");
  EXPECT_EQ(to_base64(one, Base64::kUrl), "-w==");
  EXPECT_EQ(to_base64(one, Base64::kUrlUnpadded), "-w");
  EXPECT_EQ(from_base64("-w", Base64::kUrlUnpadded).value(), one);
}

TEST(Base64, RejectsNonCanonicalInput) {
  EXPECT_FALSE(from_base64("Zg="));                              // short padding
  EXPECT_FALSE(from_base64("Zg"));                               // padding missing
  EXPECT_FALSE(from_base64("Zh=="));                             // non-zero trailing bits
  EXPECT_FALSE(from_base64("Zm9v\n"));                           // whitespace
  EXPECT_FALSE(from_base64("-w==", Base64::kStandard));          // wrong alphabet
  EXPECT_FALSE(from_base64("Zg==", Base64::kStandardUnpadded));  // padding where none belongs
  EXPECT_FALSE(from_base64("Zm9vYmFy=", Base64::kStandard));     // stray padding
  EXPECT_FALSE(from_base64("Zm9v----"));                          // OpenSSL would drop the trailing '-'
  EXPECT_FALSE(from_base64("Zm9v-w==", Base64::kStandard));
  EXPECT_FALSE(from_base64(" Zm9v"));
  EXPECT_FALSE(from_base64("Zm=v"));
  EXPECT_EQ(from_base64("!").error().message, "not canonical base64");
}

// Vectors from the base58 draft (draft-msporny-base58) and Bitcoin's tests.
TEST(Base58, KnownVectors) {
  EXPECT_EQ(to_base58(as_bytes("Hello World!")), "2NEpo7TZRRrLZSi2U");
  EXPECT_EQ(to_base58(as_bytes("The quick brown fox jumps over the lazy dog.")),
            "USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z");
  EXPECT_EQ(to_base58(Bytes{0x00, 0x00, 0x28, 0x7f, 0xb4, 0xcd}), "11233QC4");
  EXPECT_EQ(from_base58("11233QC4").value(), (Bytes{0x00, 0x00, 0x28, 0x7f, 0xb4, 0xcd}));
  EXPECT_EQ(to_base58(Bytes{}), "");
  EXPECT_EQ(from_base58("").value(), Bytes{});
}

TEST(Base58, RejectsCharactersOutsideTheAlphabetAndHugeInput) {
  for (std::string_view bad : {"0", "O", "I", "l", "abc+", " 1"}) EXPECT_FALSE(from_base58(bad)) << bad;
  auto huge = from_base58(std::string(kMaxBase58Length + 1, '2'));
  ASSERT_FALSE(huge);
  EXPECT_EQ(huge.error().code, Errc::kTooLarge);
}

}  // namespace
}  // namespace keylink
