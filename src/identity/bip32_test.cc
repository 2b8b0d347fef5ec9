#include "keylink/identity/bip32.h"

#include <gtest/gtest.h>

#include <string>

#include "keylink/base/encoding.h"
#include "keylink/crypto/errors.h"
#include "keylink/crypto/ethereum.h"
#include "keylink/identity/bip39.h"
#include "testing/vectors.h"

namespace keylink::identity {
namespace {

using keylink::testing::hex;
using keylink::testing::load_vectors;

std::string xprv_of(const ExtendedPrivateKey& key) { return std::string(as_chars(key.to_xprv().expose())); }

Error path_error(std::string_view text) {
  auto parsed = DerivationPath::parse(text);
  EXPECT_FALSE(parsed) << text;
  if (parsed) return {};
  EXPECT_EQ(parsed.error().code, Errc::kBadPath);
  return parsed.error();
}

TEST(Bip32, TestVectorsOneAndTwo) {
  for (const auto& v : load_vectors("bip32_vectors.txt")) {
    auto master = ExtendedPrivateKey::from_seed(hex(v.at("seed")));
    ASSERT_TRUE(master) << master.error().message;
    auto key = master->derive_path(std::string_view(v.at("path")));
    ASSERT_TRUE(key) << v.at("path") << ": " << key.error().message;
    EXPECT_EQ(xprv_of(*key), v.at("xprv")) << v.at("path");
    EXPECT_EQ(key->to_xpub(), v.at("xpub")) << v.at("path");
  }
}

TEST(Bip32, MasterKeysOfTheTrezorSeeds) {
  for (const auto& v : load_vectors("bip39_trezor.txt")) {
    auto master = ExtendedPrivateKey::from_seed(hex(v.at("seed")));
    ASSERT_TRUE(master) << master.error().message;
    EXPECT_EQ(xprv_of(*master), v.at("xprv"));
  }
}

TEST(Bip32, ChildrenRecordTheirParent) {
  const auto master = ExtendedPrivateKey::from_seed(hex("000102030405060708090a0b0c0d0e0f")).value();
  EXPECT_EQ(to_hex(master.fingerprint()), "3442193e");  // BIP32 test vector 1, chain m
  EXPECT_EQ(master.depth(), 0);
  const auto child = master.derive(kHardened).value();
  EXPECT_EQ(child.parent_fingerprint(), master.fingerprint());
  EXPECT_EQ(child.depth(), 1);
  EXPECT_EQ(child.child_number(), kHardened);
  // derive_path is relative to the key it starts from.
  const auto grandchild = child.derive_path(std::string_view("m/1")).value();
  EXPECT_EQ(xprv_of(grandchild), xprv_of(master.derive_path(std::string_view("m/0'/1")).value()));
  EXPECT_EQ(xprv_of(master.derive_path(std::string_view("m")).value()), xprv_of(master));
}

// Hardhat's and Anvil's default accounts, which ethers and viem derive the same way.
TEST(Bip32, HardhatTestAccounts) {
  const auto mnemonic = Mnemonic::parse("test test test test test test test test test test test junk").value();
  const auto master = ExtendedPrivateKey::from_seed(mnemonic.seed().value().expose()).value();
  auto account0 = master.derive_path(kEthereumAccountPath);
  ASSERT_TRUE(account0) << account0.error().message;
  EXPECT_EQ(crypto::EthAddress::from_public_key(account0->private_key().public_key()).to_string(),
            "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  auto account1 = master.derive_path(std::string_view("m/44'/60'/0'/0/1"));
  ASSERT_TRUE(account1);
  EXPECT_EQ(crypto::EthAddress::from_public_key(account1->private_key().public_key()).to_string(),
            "0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
  // viem's mnemonicToAccount(..., {accountIndex: 1}).
  auto other_account = master.derive_path(std::string_view("m/44h/60H/1'/0/0"));
  ASSERT_TRUE(other_account);
  EXPECT_EQ(crypto::EthAddress::from_public_key(other_account->private_key().public_key()).to_string(),
            "0x8C8d35429F74ec245F8Ef2f4Fd1e551cFF97d650");
}

TEST(Bip32, SeedsOutsideTheBipRange) {
  for (std::size_t size : {0, 15, 65}) {
    auto master = ExtendedPrivateKey::from_seed(Bytes(size, 7));
    ASSERT_FALSE(master) << size;
    EXPECT_EQ(master.error().code, crypto::Errc::kBadKey);
  }
}

TEST(Bip32, ParsesPaths) {
  EXPECT_TRUE(DerivationPath::parse("m")->indices().empty());
  const auto path = DerivationPath::parse("m/44'/60h/0H/0/2147483647").value();
  EXPECT_EQ(path.indices(), (std::vector<std::uint32_t>{44 + kHardened, 60 + kHardened, kHardened, 0, 2147483647u}));
  EXPECT_EQ(path.to_string(), "m/44'/60'/0'/0/2147483647");
  EXPECT_EQ(DerivationPath::parse(kEthereumAccountPath)->to_string(), kEthereumAccountPath);
}

TEST(Bip32, RejectsMalformedPaths) {
  EXPECT_EQ(path_error("m/44'/x").message,
            "derivation path \"m/44'/x\": segment 2 (\"x\") is not a decimal index with an optional ' (hardened)");
  EXPECT_EQ(path_error("m/2147483648'").message,
            "derivation path \"m/2147483648'\": segment 1 (\"2147483648'\") is 2^31 or more; write a hardened "
            "index as i' with i < 2^31");
  EXPECT_NE(path_error("m/2147483648").message.find("2^31 or more"), std::string::npos);
  EXPECT_NE(path_error("m/99999999999999999999999").message.find("2^31 or more"), std::string::npos);
  EXPECT_EQ(path_error("").message, "derivation path \"\" must start with \"m\" (as in \"m/44'/60'/0'/0/0\")");
  EXPECT_NE(path_error("44'/60'").message.find("must start with \"m\""), std::string::npos);
  EXPECT_NE(path_error("m44").message.find("must start with \"m\""), std::string::npos);
  EXPECT_NE(path_error("M/0").message.find("must start with \"m\""), std::string::npos);
  EXPECT_NE(path_error("m/").message.find("segment 1 (\"\") has no index"), std::string::npos);
  EXPECT_NE(path_error("m//0").message.find("segment 1 (\"\") has no index"), std::string::npos);
  EXPECT_NE(path_error("m/44'/").message.find("segment 2 (\"\") has no index"), std::string::npos);
  EXPECT_NE(path_error("m/'").message.find("has no index"), std::string::npos);
  EXPECT_NE(path_error("m/01").message.find("leading zero"), std::string::npos);
  EXPECT_NE(path_error("m/-1").message.find("not a decimal index"), std::string::npos);
  EXPECT_NE(path_error("m/+1").message.find("not a decimal index"), std::string::npos);
  EXPECT_NE(path_error("m/ 1").message.find("not a decimal index"), std::string::npos);
  EXPECT_NE(path_error("m/1''").message.find("not a decimal index"), std::string::npos);
  EXPECT_NE(path_error("m/0\x1b[2J").message.find("(\"0?[2J\")"), std::string::npos);
  std::string deep = "m";
  for (int i = 0; i < 256; ++i) deep += "/0";
  EXPECT_NE(path_error(deep).message.find("deeper than 255 levels"), std::string::npos);
  EXPECT_TRUE(DerivationPath::parse(deep.substr(0, deep.size() - 2)));
}

}  // namespace
}  // namespace keylink::identity
