#include "keylink/keystore/grant_policy.h"

#include <gtest/gtest.h>

#include "keylink/base/encoding.h"

namespace keylink::keystore {
namespace {

const auto kEth = crypto::EthAddress::parse("0x9858EfFD232B4033E47d90003D41EC34EcaEda94").value();
const std::string kXmtp = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94";

session::Proposal proposal(session::ProposalNamespaces required, session::ProposalNamespaces optional = {}) {
  session::Proposal p;
  p.required = std::move(required);
  p.optional = std::move(optional);
  return p;
}

TEST(GrantPolicy, Eip155IsGrantedAsAskedWithTheAccount) {
  auto granted = grant_namespaces(
      proposal({{"eip155", {{"eip155:1", "eip155:10"}, {"personal_sign"}, {"chainChanged"}}}}), kEth, std::nullopt);
  ASSERT_TRUE(granted) << granted.error().message;
  const auto& ns = granted->at("eip155");
  EXPECT_EQ(ns.chains, (std::vector<std::string>{"eip155:1", "eip155:10"}));
  EXPECT_EQ(ns.accounts, (std::vector<std::string>{"eip155:1:" + kEth.to_string(), "eip155:10:" + kEth.to_string()}));
  EXPECT_EQ(ns.methods, std::vector<std::string>{"personal_sign"});
  EXPECT_EQ(ns.events, std::vector<std::string>{"chainChanged"});
  auto keylink_ns = grant_namespaces(proposal({{"keylink", {{}, {"keylink_link"}, {}}}}), kEth, std::nullopt);
  ASSERT_TRUE(keylink_ns);
  EXPECT_EQ(keylink_ns->at("keylink").chains, std::vector<std::string>{"keylink:1"});
}

TEST(GrantPolicy, XmtpGetsItsChainTheAccountAndOnlyTheTablesMethods) {
  auto granted = grant_namespaces(
      proposal({{"eip155", {{"eip155:1"}, {"personal_sign"}, {}}}},
               {{"xmtp", {{"xmtp:v2"}, {"xmtp_decryptV2", "xmtp_getPrivateKeyBundle", "xmtp_encryptV2"}, {}}}}),
      kEth, kXmtp);
  ASSERT_TRUE(granted) << granted.error().message;
  const auto& ns = granted->at("xmtp");
  EXPECT_EQ(ns.chains, std::vector<std::string>{"xmtp:v2"});
  EXPECT_EQ(ns.accounts, std::vector<std::string>{"xmtp:v2:" + kXmtp});
  EXPECT_EQ(ns.methods, (std::vector<std::string>{"xmtp_decryptV2", "xmtp_encryptV2"}));
  EXPECT_TRUE(ns.events.empty());
}

TEST(GrantPolicy, ARequiredXmtpNamespaceIsGrantedWholeOrRefused) {
  ASSERT_TRUE(grant_namespaces(proposal({{"xmtp", {{"xmtp:v2"}, {"xmtp_decryptV2"}, {}}}}), kEth, kXmtp));
  struct Case {
    session::ProposalNamespace asked;
    std::string why;
  };
  for (const auto& c : {Case{{{"xmtp:v3"}, {"xmtp_decryptV2"}, {}}, "only the chain xmtp:v2"},
                        Case{{{"xmtp:v2"}, {"xmtp_getPrivateKeyBundle"}, {}}, "private keys do not leave the wallet"},
                        Case{{{"xmtp:v2"}, {"xmtp_frobnicate"}, {}}, "not a method"},
                        Case{{{"xmtp:v2"}, {"xmtp_decryptV2"}, {"message"}}, "no events"}}) {
    auto granted = grant_namespaces(proposal({{"xmtp", c.asked}}), kEth, kXmtp);
    ASSERT_FALSE(granted) << c.why;
    EXPECT_EQ(granted.error().code, session::Errc::kInvalid);
    EXPECT_NE(granted.error().message.find(c.why), std::string::npos) << granted.error().message;
  }
}

TEST(GrantPolicy, WithoutAMessagingIdentityXmtpIsLeftOutOrRefused) {
  auto optional = grant_namespaces(
      proposal({{"eip155", {{"eip155:1"}, {"personal_sign"}, {}}}}, {{"xmtp", {{"xmtp:v2"}, {"xmtp_decryptV2"}, {}}}}),
      kEth, std::nullopt);
  ASSERT_TRUE(optional);
  EXPECT_FALSE(optional->contains("xmtp"));
  auto required = grant_namespaces(proposal({{"xmtp", {{"xmtp:v2"}, {"xmtp_decryptV2"}, {}}}}), kEth, std::nullopt);
  ASSERT_FALSE(required);
  EXPECT_NE(required.error().message.find("no messaging identity"), std::string::npos);
}

TEST(GrantPolicy, AnOptionalXmtpNamespaceWithNothingToGrantIsLeftOut) {
  auto granted = grant_namespaces(proposal({}, {{"xmtp", {{"xmtp:v2"}, {"xmtp_exportEverything"}, {}}}}), kEth, kXmtp);
  ASSERT_TRUE(granted);
  EXPECT_FALSE(granted->contains("xmtp"));
}

TEST(GrantPolicy, OtherNamespacesAreRefusedWhenRequired) {
  EXPECT_TRUE(grant_namespaces(proposal({}, {{"solana", {{"solana:1"}, {"sign"}, {}}}}), kEth, kXmtp).value().empty());
  auto required = grant_namespaces(proposal({{"solana", {{"solana:1"}, {"sign"}, {}}}}), kEth, kXmtp);
  ASSERT_FALSE(required);
  EXPECT_NE(required.error().message.find("unsupported namespace solana"), std::string::npos);
}

TEST(GrantPolicy, ScopesFollowTheMethodsAsked) {
  EXPECT_EQ(scopes_asked({"xmtp_encryptV2", "xmtp_decryptV2", "xmtp_getPublicKeyBundle", "xmtp_nope"}),
            (std::vector<Scope>{Scope::kRead, Scope::kSend}));
  EXPECT_EQ(scopes_asked({"xmtp_getV2ConversationHmacKeys", "xmtp_selfEncrypt", "xmtp_createAuthToken"}),
            (std::vector<Scope>{Scope::kAuth, Scope::kPreferences, Scope::kPush}));
  EXPECT_TRUE(scopes_asked({"xmtp_getKeystoreStatus"}).empty());
}

TEST(GrantPolicy, TheAppKeyComesFromSessionProperties) {
  session::Proposal p;
  EXPECT_FALSE(app_key_of(p));
  crypto::Ed25519PublicKey key{};
  key.fill(7);
  p.session_properties[std::string(kAppKeyProperty)] = to_base64(key);
  EXPECT_EQ(app_key_of(p).value(), key);
  p.session_properties[std::string(kAppKeyProperty)] = to_base64(Bytes(31, 7));
  EXPECT_FALSE(app_key_of(p));
  p.session_properties[std::string(kAppKeyProperty)] = "not base64";
  EXPECT_FALSE(app_key_of(p));
}

}  // namespace
}  // namespace keylink::keystore
