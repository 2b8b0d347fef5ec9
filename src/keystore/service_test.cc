#include "keylink/keystore/service.h"

#include <gtest/gtest.h>

#include <chrono>

#include "identity/xmtp_test_wallet.h"
#include "keylink/identity/xmtp_identity.h"
#include "keylink/keystore/local_keystore.h"
#include "keylink/wire/xmtp/authn.h"
#include "keylink/wire/xmtp/keystore_api.h"
#include "keylink/wire/xmtp/message.h"

namespace keylink::keystore {
namespace {

namespace kapi = wire::xmtp::keystore_api;
constexpr std::uint64_t kNow = 1'700'000'000'000'000'000;

// A wallet's keystore and the service in front of it, as an app reaches it.
struct Wallet {
  explicit Wallet(std::uint8_t key_byte)
      : wallet(key_byte),
        keystore(LocalKeystore::create(wallet.db, wallet.vault,
                                       identity::XmtpIdentity::create(wallet.account, clock, wallet.rng).value(),
                                       wallet.rng)
                     .value()) {}
  ManualClock clock{TimePoint(std::chrono::nanoseconds(kNow))};
  identity::TestWallet wallet;
  std::unique_ptr<LocalKeystore> keystore;
  KeystoreService service{*keystore, clock};
};

kapi::DecryptV2Item unknown_topic_item() {
  kapi::DecryptV2Item item;
  item.payload.payload = Bytes(32, 1);
  item.header_bytes = wire::xmtp::encode(wire::xmtp::MessageHeaderV2{kNow, "/xmtp/0/m-unknown/proto"});
  item.content_topic = "/xmtp/0/m-unknown/proto";
  return item;
}

std::int64_t error_code(const ServiceReply& reply) {
  EXPECT_FALSE(reply.result);
  return reply.result ? 0 : reply.result.error().code;
}

TEST(KeystoreService, RefusesARequestThatIsNotItsProtobuf) {
  Wallet wallet(1);
  const Bytes garbage = {0x0a, 0xff, 0x01};
  for (auto method : {"xmtp_decryptV2", "xmtp_createInvite", "xmtp_signDigest", "xmtp_getRefreshJob"}) {
    auto reply = wallet.service.handle(method, garbage);
    EXPECT_EQ(error_code(reply), codes::kInvalidParams) << method;
  }
  // A well-formed protobuf with a field that does not check out: a 31-byte digest, an unspecified job.
  EXPECT_EQ(error_code(wallet.service.handle("xmtp_signDigest",
                                             kapi::encode_sign_digest_request({Bytes(31, 1), std::nullopt, 0u}))),
            codes::kInvalidParams);
  EXPECT_EQ(error_code(wallet.service.handle("xmtp_getRefreshJob",
                                             kapi::encode_get_refresh_job_request(kapi::JobType::kUnspecified))),
            codes::kInvalidParams);
}

TEST(KeystoreService, AnswersABatchOfTheLimitAndRefusesOneMore) {
  Wallet wallet(1);
  std::vector<kapi::DecryptV2Item> items(kMaxBatch, unknown_topic_item());
  auto reply = wallet.service.handle("xmtp_decryptV2", kapi::encode_decrypt_v2_request(items));
  ASSERT_TRUE(reply.result) << reply.result.error().message;
  EXPECT_EQ(reply.items, kMaxBatch);
  EXPECT_EQ(reply.topics, std::vector<std::string>{unknown_topic_item().content_topic});  // named once
  auto slots = kapi::decode_decrypt_response(*reply.result, kMaxBatch).value();
  ASSERT_EQ(slots.size(), kMaxBatch);
  EXPECT_EQ(slots[0].error().code, kapi::ErrorCode::kNoMatchingPrekey);

  items.push_back(unknown_topic_item());
  EXPECT_EQ(error_code(wallet.service.handle("xmtp_decryptV2", kapi::encode_decrypt_v2_request(items))),
            codes::kBatchTooLarge);
}

TEST(KeystoreService, RefusesAHugeBatchBeforeDecodingIt) {
  Wallet wallet(1);
  const std::vector<kapi::DecryptV2Item> items(10'000, unknown_topic_item());
  const auto request = kapi::encode_decrypt_v2_request(items);
  const auto started = std::chrono::steady_clock::now();
  auto reply = wallet.service.handle("xmtp_decryptV2", request);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(100));
  EXPECT_EQ(error_code(reply), codes::kBatchTooLarge);

  // Item 1,001 is followed by garbage: the refusal is for the count, found before the garbage is read.
  auto truncated = kapi::encode_decrypt_v2_request(std::span(items).first(kMaxBatch + 1));
  truncated.insert(truncated.end(), {0x12, 0xff, 0xff, 0x03});
  EXPECT_EQ(error_code(wallet.service.handle("xmtp_decryptV2", truncated)), codes::kBatchTooLarge);
  truncated = kapi::encode_decrypt_v2_request(std::span(items).first(kMaxBatch));
  truncated.insert(truncated.end(), {0x12, 0xff, 0xff, 0x03});
  EXPECT_EQ(error_code(wallet.service.handle("xmtp_decryptV2", truncated)), codes::kInvalidParams);
}

TEST(KeystoreService, EachBadItemGetsItsOwnErrorInItsSlot) {
  Wallet wallet(1);
  auto malformed = unknown_topic_item();
  malformed.payload.payload.resize(3);  // shorter than a GCM tag: does not decode
  const std::vector<Bytes> payloads = {to_bytes("a")};
  const auto sealed = wallet.keystore->self_encrypt(payloads).at(0).value();
  // selfDecrypt: a good item between two that are not ciphertexts of this identity.
  const std::vector<Bytes> batch = {Bytes{1, 2, 3}, sealed, Bytes{}};
  auto reply = wallet.service.handle("xmtp_selfDecrypt", kapi::encode_self_decrypt_request(batch));
  ASSERT_TRUE(reply.result);
  auto slots = kapi::decode_decrypt_response(*reply.result, 3).value();
  ASSERT_EQ(slots.size(), 3u);
  EXPECT_FALSE(slots[0]);
  EXPECT_EQ(slots[1].value(), payloads[0]);
  EXPECT_FALSE(slots[2]);

  const std::vector<kapi::DecryptV2Item> items = {unknown_topic_item(), malformed};
  reply = wallet.service.handle("xmtp_decryptV2", kapi::encode_decrypt_v2_request(items));
  ASSERT_TRUE(reply.result);
  auto v2 = kapi::decode_decrypt_response(*reply.result, 2).value();
  ASSERT_EQ(v2.size(), 2u);
  EXPECT_EQ(v2[0].error().code, kapi::ErrorCode::kNoMatchingPrekey);
  EXPECT_EQ(v2[1].error().code, kapi::ErrorCode::kInvalidInput) << v2[1].error().message;
}

TEST(KeystoreService, NeverSignsADigestWithTheIdentityKey) {
  Wallet wallet(1);
  const Bytes digest(32, 7);
  auto reply = wallet.service.handle("xmtp_signDigest", kapi::encode_sign_digest_request({digest, true, std::nullopt}));
  EXPECT_EQ(error_code(reply), codes::kRefusedByPolicy);
  EXPECT_NE(reply.result.error().message.find("never"), std::string::npos);
  // Naming no signer is not a request either.
  EXPECT_EQ(error_code(wallet.service.handle("xmtp_signDigest",
                                             kapi::encode_sign_digest_request({digest, false, std::nullopt}))),
            codes::kInvalidParams);
  auto signed_by_pre_key =
      wallet.service.handle("xmtp_signDigest", kapi::encode_sign_digest_request({digest, std::nullopt, 0u}));
  ASSERT_TRUE(signed_by_pre_key.result) << signed_by_pre_key.result.error().message;
  EXPECT_TRUE(wire::xmtp::decode_signature(*signed_by_pre_key.result));
}

TEST(KeystoreService, DatesAuthTokensWithinFiveMinutesOfItsClock) {
  Wallet wallet(1);
  const auto minute = std::uint64_t{60'000'000'000};
  EXPECT_EQ(error_code(wallet.service.handle("xmtp_createAuthToken",
                                             kapi::encode_create_auth_token_request(kNow + 6 * minute))),
            codes::kRefusedByPolicy);
  EXPECT_EQ(error_code(wallet.service.handle("xmtp_createAuthToken",
                                             kapi::encode_create_auth_token_request(kNow - 6 * minute))),
            codes::kRefusedByPolicy);
  auto within =
      wallet.service.handle("xmtp_createAuthToken", kapi::encode_create_auth_token_request(kNow + 4 * minute));
  ASSERT_TRUE(within.result) << within.result.error().message;
  EXPECT_EQ(wire::xmtp::decode_auth_token(*within.result).value().auth_data.created_ns, kNow + 4 * minute);
  // No timestamp: now.
  auto now = wallet.service.handle("xmtp_createAuthToken", kapi::encode_create_auth_token_request(std::nullopt));
  ASSERT_TRUE(now.result);
  EXPECT_EQ(wire::xmtp::decode_auth_token(*now.result).value().auth_data.created_ns, kNow);
}

TEST(KeystoreService, NoMethodExportsAPrivateKey) {
  Wallet wallet(1);
  for (auto method : {"xmtp_getPrivateKeyBundle", "xmtp_initKeystore"}) {
    auto reply = wallet.service.handle(method, {});
    EXPECT_EQ(error_code(reply), codes::kNotGranted);
    EXPECT_NE(reply.result.error().message.find("never: private keys do not leave the wallet"), std::string::npos);
  }
  EXPECT_EQ(error_code(wallet.service.handle("xmtp_somethingElse", {})), codes::kNotGranted);
  EXPECT_EQ(error_code(wallet.service.handle("eth_sign", {})), codes::kNotGranted);
}

TEST(KeystoreService, EncryptsV1OnlyUnderTheHeaderItWouldWrite) {
  Wallet alice(1), bob(2);
  const auto bobs = bob.keystore->legacy_public_key_bundle();
  // A header naming Bob as the sender: Alice's keystore does not encrypt under it.
  const auto forged = wire::xmtp::encode(wire::xmtp::MessageHeaderV1{bobs, bobs, 5});
  const auto honest =
      wire::xmtp::encode(wire::xmtp::MessageHeaderV1{alice.keystore->legacy_public_key_bundle(), bobs, 5});
  const std::vector<kapi::EncryptV1Item> items = {{bobs, to_bytes("x"), forged}, {bobs, to_bytes("y"), honest}};
  auto reply = alice.service.handle("xmtp_encryptV1", kapi::encode_encrypt_v1_request(items));
  ASSERT_TRUE(reply.result);
  auto slots = kapi::decode_encrypt_response(*reply.result, 2).value();
  ASSERT_EQ(slots.size(), 2u);
  EXPECT_EQ(slots[0].error().code, kapi::ErrorCode::kInvalidInput);
  EXPECT_TRUE(slots[1]);
}

TEST(KeystoreService, SaysWhichWalletItHolds) {
  Wallet wallet(1);
  auto status = [&](std::string_view address) {
    auto reply = wallet.service.handle("xmtp_getKeystoreStatus", kapi::encode_get_keystore_status_request(address));
    return kapi::decode_get_keystore_status_response(reply.result.value()).value();
  };
  std::string address = wallet.keystore->account_address();
  EXPECT_EQ(status(address), kapi::KeystoreStatus::kInitialized);
  for (auto& c : address) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_EQ(status(address), kapi::KeystoreStatus::kInitialized);
  EXPECT_EQ(status("0x0000000000000000000000000000000000000001"), kapi::KeystoreStatus::kUninitialized);
}

}  // namespace
}  // namespace keylink::keystore
