// Test-only: the contract every identity::Keystore keeps, as a value-parameterised GoogleTest suite.
//
// A backend is a factory: given the wallet's LocalKeystore of an identity (in a throwaway home) and the
// clock, it makes the Keystore under test in front of it: the LocalKeystore itself, a RemoteKeystore
// over an in-process KeystoreService (this file), or over a session or a socket (runtime). To run the
// suite over another backend, include this header in exactly one file of a test target and write
//   INSTANTIATE_TEST_SUITE_P(Session, KeystoreContract, ::testing::Values(Backend{"Session", make}),
//                            backend_name);
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "identity/xmtp_test_wallet.h"
#include "keylink/base/clock.h"
#include "keylink/crypto/hash.h"
#include "keylink/crypto/secp256k1.h"
#include "keylink/crypto/xmtp/conversation_keys.h"
#include "keylink/identity/keystore_errors.h"
#include "keylink/identity/xmtp_identity.h"
#include "keylink/keystore/local_keystore.h"
#include "keylink/keystore/remote_keystore.h"
#include "keylink/keystore/service.h"
#include "keylink/keystore/transport.h"
#include "keylink/wire/xmtp/authn.h"
#include "keylink/wire/xmtp/content.h"
#include "keylink/wire/xmtp/message.h"
#include "keylink/wire/xmtp/signatures.h"
#include "keylink/wire/xmtp/topics.h"

namespace keylink::keystore::contract {

using KeystoreFactory =
    std::function<std::unique_ptr<identity::Keystore>(std::unique_ptr<LocalKeystore> wallet, const Clock& clock)>;

struct Backend {
  std::string name;  // a test-name part: letters and digits
  KeystoreFactory make;
};

inline std::string backend_name(const ::testing::TestParamInfo<Backend>& info) { return info.param.name; }

// A KeystoreTransport that calls a KeystoreService over a LocalKeystore directly: the codec both ways,
// with no session or socket. A refusal comes back as KeystoreErrc::kRefused with the wallet's message.
class InProcessTransport final : public KeystoreTransport {
 public:
  InProcessTransport(std::unique_ptr<LocalKeystore> keystore, const Clock& clock)
      : keystore_(std::move(keystore)), service_(*keystore_, clock) {}

  Result<Bytes> call(std::string_view method, ByteView req) override {
    ++calls_;
    auto reply = service_.handle(method, req);
    if (!reply.result) {
      return fail(identity::KeystoreErrc::kRefused,
                  std::to_string(reply.result.error().code) + ": " + reply.result.error().message);
    }
    return std::move(*reply.result);
  }
  std::size_t calls() const noexcept { return calls_; }

 private:
  std::unique_ptr<LocalKeystore> keystore_;
  KeystoreService service_;
  std::size_t calls_ = 0;
};

inline Backend local_backend() {
  return {"Local", [](std::unique_ptr<LocalKeystore> wallet, const Clock&) -> std::unique_ptr<identity::Keystore> {
            return wallet;
          }};
}

inline Backend in_process_remote_backend() {
  return {"InProcessRemote",
          [](std::unique_ptr<LocalKeystore> wallet, const Clock& clock) -> std::unique_ptr<identity::Keystore> {
            return RemoteKeystore::connect(std::make_unique<InProcessTransport>(std::move(wallet), clock)).value();
          }};
}

class KeystoreContract : public ::testing::TestWithParam<Backend> {
 protected:
  static constexpr std::uint64_t kNow = 1'700'000'000'000'000'000;  // the clock's, in ns

  // An identity in its own home, and the Keystore under test in front of its LocalKeystore.
  struct Party {
    Party(std::uint8_t key_byte, const ManualClock& clock, const KeystoreFactory& make) : wallet(key_byte) {
      auto identity = identity::XmtpIdentity::create(wallet.account, clock, wallet.rng).value();
      keystore = make(LocalKeystore::create(wallet.db, wallet.vault, std::move(identity), wallet.rng).value(), clock);
    }
    identity::TestWallet wallet;
    std::unique_ptr<identity::Keystore> keystore;
  };

  std::unique_ptr<Party> party(std::uint8_t key_byte) {
    return std::make_unique<Party>(key_byte, clock_, GetParam().make);
  }

  static Bytes text_content(std::string_view text) {
    wire::xmtp::EncodedContent content;
    content.type = {"xmtp.org", "text", 1, 0};
    content.parameters["encoding"] = "UTF-8";
    content.content = to_bytes(text);
    return wire::xmtp::encode(content);
  }

  static Bytes header_for(const std::string& topic) {
    return wire::xmtp::encode(wire::xmtp::MessageHeaderV2{kNow, topic});
  }

  // Alice invites Bob; Bob saves the invitation. The conversation's topic.
  static std::string converse(identity::Keystore& alice, identity::Keystore& bob) {
    auto invite = alice.create_invite({bob.public_key_bundle(), "chat/1", {{"app", "contract"}}, kNow});
    EXPECT_TRUE(invite) << invite.error().message;
    const auto& created = invite.value();
    const identity::SaveInviteRequest save{
        wire::xmtp::invite_topic(crypto::EthAddress::parse(bob.account_address()).value()), kNow,
        created.sealed_invitation};
    auto saved = bob.save_invites({&save, 1});
    EXPECT_TRUE(saved.at(0)) << saved.at(0).error().message;
    EXPECT_EQ(saved.at(0).value().topic, created.conversation.topic);
    return created.conversation.topic;
  }

  ManualClock clock_{TimePoint(std::chrono::nanoseconds(kNow))};
};

TEST_P(KeystoreContract, PublishesAWalletSignedBundle) {
  auto alice = party(1);
  auto& keystore = *alice->keystore;
  EXPECT_EQ(keystore.account_address(), alice->wallet.account.address().to_string());
  EXPECT_EQ(identity::verify_public_bundle(keystore.legacy_public_key_bundle()).value().to_string(),
            keystore.account_address());
  EXPECT_EQ(wire::xmtp::encode(keystore.public_key_bundle()),
            wire::xmtp::encode(identity::signed_bundle_from_legacy(keystore.legacy_public_key_bundle()).value()));
}

TEST_P(KeystoreContract, V1MessagesRoundTripBetweenTwoIdentities) {
  auto alice = party(1), bob = party(2);
  const identity::EncryptV1Request request{bob->keystore->legacy_public_key_bundle(), text_content("v1 hello"),
                                           kNow / 1'000'000};
  auto sealed = alice->keystore->encrypt_v1({&request, 1});
  ASSERT_TRUE(sealed.at(0)) << sealed[0].error().message;
  EXPECT_EQ(sealed[0]->header.timestamp, request.timestamp_ms);
  const identity::DecryptV1Request decrypt{*sealed[0]};
  for (auto* keystore : {alice->keystore.get(), bob->keystore.get()}) {
    auto opened = keystore->decrypt_v1({&decrypt, 1});
    ASSERT_TRUE(opened.at(0)) << opened[0].error().message;
    EXPECT_EQ(*opened[0], request.payload);
  }
  // Bob's answer opens for Alice.
  const identity::EncryptV1Request reply{alice->keystore->legacy_public_key_bundle(), text_content("v1 reply"),
                                         kNow / 1'000'000 + 1};
  auto answered = bob->keystore->encrypt_v1({&reply, 1});
  ASSERT_TRUE(answered.at(0)) << answered[0].error().message;
  const identity::DecryptV1Request read_reply{*answered[0]};
  EXPECT_EQ(alice->keystore->decrypt_v1({&read_reply, 1}).at(0).value(), reply.payload);
}

TEST_P(KeystoreContract, V2MessagesRoundTripInAnInvitedConversation) {
  auto alice = party(1), bob = party(2);
  const auto topic = converse(*alice->keystore, *bob->keystore);
  const identity::EncryptV2Request encrypt{text_content("hello bob"), header_for(topic), topic};
  auto sealed = alice->keystore->encrypt_v2({&encrypt, 1});
  ASSERT_TRUE(sealed.at(0)) << sealed[0].error().message;
  EXPECT_EQ(sealed[0]->sender_hmac.size(), 32u);
  const identity::DecryptV2Request decrypt{sealed[0]->ciphertext, encrypt.header_bytes, topic};
  auto opened = bob->keystore->decrypt_v2({&decrypt, 1});
  ASSERT_TRUE(opened.at(0)) << opened[0].error().message;
  auto content = wire::xmtp::decode_signed_content(*opened[0]);
  ASSERT_TRUE(content);
  EXPECT_EQ(content->payload, encrypt.content);
  EXPECT_TRUE(wire::xmtp::verify_signed_content(*content, encrypt.header_bytes));
  EXPECT_EQ(wire::xmtp::encode(content->sender), wire::xmtp::encode(alice->keystore->public_key_bundle()));
}

TEST_P(KeystoreContract, ListsItsConversations) {
  auto alice = party(1), bob = party(2);
  const auto topic = converse(*alice->keystore, *bob->keystore);
  for (auto* keystore : {alice->keystore.get(), bob->keystore.get()}) {
    auto v2 = keystore->v2_conversations();
    ASSERT_TRUE(v2) << v2.error().message;
    ASSERT_EQ(v2->size(), 1u);
    EXPECT_EQ(v2->front().topic, topic);
    EXPECT_EQ(v2->front().conversation_id, "chat/1");
    EXPECT_EQ(v2->front().metadata.at("app"), "contract");
  }
  EXPECT_EQ(alice->keystore->v2_conversations()->front().peer_address, bob->keystore->account_address());

  const auto me = crypto::EthAddress::parse(alice->keystore->account_address()).value();
  const auto peer = crypto::EthAddress::parse(bob->keystore->account_address()).value();
  const identity::ConversationReference v1{wire::xmtp::dm_topic(me, peer), kNow, peer.to_string(), "", {}};
  ASSERT_TRUE(alice->keystore->save_v1_conversations({&v1, 1}));
  auto listed = alice->keystore->v1_conversations();
  ASSERT_TRUE(listed) << listed.error().message;
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front(), v1);
}

TEST_P(KeystoreContract, SelfEncryptionRoundTrips) {
  auto alice = party(1);
  const std::vector<Bytes> payloads = {to_bytes("allow 0xabc"), to_bytes("deny 0xdef")};
  auto sealed = alice->keystore->self_encrypt(payloads);
  ASSERT_EQ(sealed.size(), 2u);
  std::vector<Bytes> ciphertexts;
  for (auto& one : sealed) ciphertexts.push_back(one.value());
  auto opened = alice->keystore->self_decrypt(ciphertexts);
  ASSERT_EQ(opened.size(), 2u);
  EXPECT_EQ(opened[0].value(), payloads[0]);
  EXPECT_EQ(opened[1].value(), payloads[1]);
  auto identifier = alice->keystore->private_preferences_topic_identifier();
  ASSERT_TRUE(identifier);
  EXPECT_FALSE(identifier->empty());
  EXPECT_EQ(*identifier, alice->keystore->private_preferences_topic_identifier().value());
}

TEST_P(KeystoreContract, GivesHmacKeysOfKnownTopicsOnly) {
  auto alice = party(1), bob = party(2);
  const auto topic = converse(*alice->keystore, *bob->keystore);
  const std::vector<std::string> topics = {topic, "/xmtp/0/m-unknown/proto"};
  auto keys = alice->keystore->v2_conversation_hmac_keys(topics, clock_.unix_seconds());
  ASSERT_TRUE(keys) << keys.error().message;
  ASSERT_EQ(keys->size(), 1u);
  const auto& mine = keys->at(topic);
  ASSERT_EQ(mine.size(), 3u);
  const auto now = crypto::xmtp::thirty_day_period(clock_.unix_seconds());
  EXPECT_EQ(mine[0].thirty_day_period, now - 1);
  EXPECT_EQ(mine[1].thirty_day_period, now);
  EXPECT_EQ(mine[2].thirty_day_period, now + 1);
  // Alice's sender HMAC of a message checks with her key for its period.
  const identity::EncryptV2Request encrypt{text_content("x"), header_for(topic), topic};
  auto sealed = alice->keystore->encrypt_v2({&encrypt, 1});
  ASSERT_TRUE(sealed.at(0));
  const auto expected = crypto::hmac_sha256(mine[1].key.expose(), encrypt.header_bytes);
  EXPECT_EQ(Bytes(expected.begin(), expected.end()), sealed[0]->sender_hmac);
  EXPECT_FALSE(bob->keystore->v2_conversation_hmac_keys(topics, clock_.unix_seconds())->at(topic)[1].key ==
               mine[1].key);
}

TEST_P(KeystoreContract, SignsDigestsWithAPreKey) {
  auto alice = party(1);
  const auto digest = crypto::sha256(as_bytes(std::string_view("header and content")));
  auto signature = alice->keystore->sign_digest(digest, 0);
  ASSERT_TRUE(signature) << signature.error().message;
  EXPECT_EQ(signature->kind, wire::xmtp::SignatureKind::kEcdsaCompact);
  EXPECT_TRUE(
      crypto::secp256k1_verify(alice->keystore->public_key_bundle().pre_key.key.key, digest, signature->value.compact));
  EXPECT_FALSE(alice->keystore->sign_digest(digest, 7));
}

TEST_P(KeystoreContract, MakesAnAuthTokenOfItsAccount) {
  auto alice = party(1);
  auto bytes = alice->keystore->create_auth_token(kNow);
  ASSERT_TRUE(bytes) << bytes.error().message;
  auto token = wire::xmtp::decode_auth_token(*bytes);
  ASSERT_TRUE(token) << token.error().message;
  EXPECT_EQ(token->auth_data.wallet_addr, alice->keystore->account_address());
  EXPECT_EQ(token->auth_data.created_ns, kNow);
  EXPECT_EQ(wire::xmtp::encode(token->identity_key),
            wire::xmtp::encode(alice->keystore->legacy_public_key_bundle().identity_key));
  EXPECT_TRUE(wire::xmtp::verify_auth_token_signature(*token));
}

TEST_P(KeystoreContract, ABadBatchItemFailsAlone) {
  auto alice = party(1), bob = party(2);
  const auto topic = converse(*alice->keystore, *bob->keystore);
  const identity::EncryptV2Request encrypt{text_content("one"), header_for(topic), topic};
  auto sealed = alice->keystore->encrypt_v2({&encrypt, 1}).at(0).value();
  auto tampered = sealed.ciphertext;
  tampered.payload[0] ^= 1;
  const std::vector<identity::DecryptV2Request> batch = {
      {sealed.ciphertext, encrypt.header_bytes, topic},
      {tampered, encrypt.header_bytes, topic},
      {sealed.ciphertext, encrypt.header_bytes, topic},
  };
  auto opened = bob->keystore->decrypt_v2(batch);
  ASSERT_EQ(opened.size(), 3u);
  EXPECT_TRUE(opened[0]);
  EXPECT_FALSE(opened[1]);
  EXPECT_TRUE(opened[2]);
}

TEST_P(KeystoreContract, AnUnknownTopicIsAnUnknownConversation) {
  auto alice = party(1), bob = party(2);
  const auto topic = converse(*alice->keystore, *bob->keystore);
  const std::string unknown = "/xmtp/0/m-unknown/proto";
  const identity::EncryptV2Request encrypt{text_content("x"), header_for(unknown), unknown};
  auto sealed = alice->keystore->encrypt_v2({&encrypt, 1});
  ASSERT_FALSE(sealed.at(0));
  EXPECT_EQ(sealed[0].error().code, identity::KeystoreErrc::kUnknownConversation) << sealed[0].error().message;

  const identity::EncryptV2Request good{text_content("x"), header_for(topic), topic};
  auto message = alice->keystore->encrypt_v2({&good, 1}).at(0).value();
  const identity::DecryptV2Request decrypt{message.ciphertext, header_for(topic), unknown};
  auto opened = bob->keystore->decrypt_v2({&decrypt, 1});
  ASSERT_FALSE(opened.at(0));
  EXPECT_EQ(opened[0].error().code, identity::KeystoreErrc::kUnknownConversation) << opened[0].error().message;
}

TEST_P(KeystoreContract, KeepsRefreshJobs) {
  auto alice = party(1);
  EXPECT_EQ(alice->keystore->refresh_job(identity::RefreshJob::kV1).value(), 0);
  ASSERT_TRUE(alice->keystore->set_refresh_job(identity::RefreshJob::kV1, 1234));
  EXPECT_EQ(alice->keystore->refresh_job(identity::RefreshJob::kV1).value(), 1234);
  EXPECT_EQ(alice->keystore->refresh_job(identity::RefreshJob::kPppp).value(), 0);
}

}  // namespace keylink::keystore::contract
