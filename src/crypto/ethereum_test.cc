#include "keylink/crypto/ethereum.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>

#include "keylink/crypto/errors.h"
#include "testing/vectors.h"

namespace keylink::crypto {
namespace {

using testing::hex_array;
using testing::hex_secret;
using testing::load_vectors;

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

TEST(Eth, Eip55Vectors) {
  for (const auto& v : load_vectors("eip55_addresses.txt")) {
    const std::string& text = v.at("address");
    auto address = EthAddress::parse(text);
    ASSERT_TRUE(address) << text << ": " << address.error().message;
    EXPECT_EQ(address->to_string(), text);
    auto lower = EthAddress::parse(lowercase(text));
    ASSERT_TRUE(lower) << "all-lowercase is accepted as it is";
    EXPECT_EQ(*lower, *address);
  }
}

TEST(Eth, WrongChecksumIsRefusedWithAMessage) {
  // EIP-55's 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed with one letter's case flipped.
  auto address = EthAddress::parse("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD");
  ASSERT_FALSE(address);
  EXPECT_EQ(address.error().code, Errc::kMalformed);
  EXPECT_EQ(address.error().message, "Ethereum address checksum does not match (EIP-55): check it for a typo");
}

TEST(Eth, MalformedAddresses) {
  for (std::string_view bad :
       {"", "0x", "5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe",
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAedd", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg",
        "0X5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"}) {
    auto address = EthAddress::parse(bad);
    ASSERT_FALSE(address) << bad;
    EXPECT_EQ(address.error().code, Errc::kMalformed);
  }
}

TEST(Eth, AddressesOfKnownKeys) {
  for (const auto& v : load_vectors("secp256k1_keys.txt")) {
    auto key = Secp256k1PrivateKey::from_bytes(hex_secret<32>(v.at("private")));
    ASSERT_TRUE(key);
    EXPECT_EQ(lowercase(EthAddress::from_public_key(key->public_key()).to_string()), lowercase(v.at("address")));
  }
}

TEST(Eth, Web3PersonalSignVector) {
  for (const auto& v : load_vectors("eth_personal_sign.txt")) {
    auto key = Secp256k1PrivateKey::from_bytes(hex_secret<32>(v.at("private")));
    ASSERT_TRUE(key);
    const Bytes message = to_bytes(v.at("message"));
    EXPECT_EQ(to_hex(eip191_digest(message)), v.at("digest"));
    EXPECT_EQ(to_hex(personal_sign(*key, message)), v.at("signature"));
    auto signer = personal_sign_recover(message, hex_array<65>(v.at("signature")));
    ASSERT_TRUE(signer) << signer.error().message;
    EXPECT_EQ(signer->to_string(), v.at("address"));
  }
}

TEST(Eth, RecoverAcceptsBothVForms) {
  FixedRng rng(16);
  const auto key = Secp256k1PrivateKey::generate(rng);
  const auto expected = EthAddress::from_public_key(key.public_key());
  const Bytes message = to_bytes("XMTP : Create Identity\n");
  EthSignature signature = personal_sign(key, message);
  ASSERT_TRUE(signature[64] == 27 || signature[64] == 28);
  auto with_27 = personal_sign_recover(message, signature);
  signature[64] = static_cast<std::uint8_t>(signature[64] - 27);
  auto with_0 = personal_sign_recover(message, signature);
  ASSERT_TRUE(with_27 && with_0);
  EXPECT_EQ(*with_27, expected);
  EXPECT_EQ(*with_0, expected);
  signature[64] = 29;
  auto bad_v = personal_sign_recover(message, signature);
  ASSERT_FALSE(bad_v);
  EXPECT_EQ(bad_v.error().code, Errc::kBadSignature);
}

TEST(Eth, RecoverOfAnotherMessageGivesAnotherAddress) {
  FixedRng rng(17);
  const auto key = Secp256k1PrivateKey::generate(rng);
  const EthSignature signature = personal_sign(key, to_bytes("a"));
  auto signer = personal_sign_recover(to_bytes("b"), signature);
  if (signer) {
    EXPECT_NE(*signer, EthAddress::from_public_key(key.public_key()));
  }
}

}  // namespace
}  // namespace keylink::crypto
