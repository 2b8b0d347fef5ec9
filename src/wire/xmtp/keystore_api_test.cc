#include "keylink/wire/xmtp/keystore_api.h"

#include <gtest/gtest.h>

#include <chrono>

#include "keylink/base/encoding.h"
#include "keylink/wire/errors.h"
#include "keylink/wire/xmtp/authn.h"

namespace keylink::wire::xmtp::keystore_api {
namespace {

Bytes hex(std::string_view text) { return from_hex(text).value(); }

Ciphertext some_ciphertext() {
  Ciphertext out;
  out.hkdf_salt.fill(1);
  out.gcm_nonce.fill(2);
  out.payload = Bytes(20, 3);
  return out;
}

// Written by @xmtp/proto 3.96.0 (interop/node_modules), keystore.pb.js and authn.pb.js encode().
TEST(KeystoreApi, EncodesAsTheXmtpProtoPackageDoes) {
  const Bytes digest(32, 0xab);
  EXPECT_EQ(to_hex(encode_sign_digest_request({digest, std::nullopt, 0u})),
            "0a20abababababababababababababababababababababababababababababababab1800");
  EXPECT_EQ(to_hex(encode_sign_digest_request({digest, true, std::nullopt})),
            "0a20abababababababababababababababababababababababababababababababab1001");
  const std::vector<Outcome<Bytes>> decrypted = {
      Bytes{1, 2, 3}, tl::unexpected(KeystoreError{"no topic key", ErrorCode::kNoMatchingPrekey})};
  EXPECT_EQ(to_hex(encode_decrypt_response(decrypted)), "0a070a050a030102030a1212100a0c6e6f20746f706963206b65791002");
  EXPECT_EQ(to_hex(encode_create_auth_token_request(1'700'000'000'000'000'000)), "088080a8b1e39fe7cb17");
  EXPECT_EQ(to_hex(encode_set_refresh_job_request({JobType::kRefreshPppp, 1'700'000'000'000'000'001})),
            "0803108180a8b1e39fe7cb17");
  const std::vector<ConversationReference> conversations = {
      {"/xmtp/0/m-abc/proto", "0xAbC", 5, "chat/1", {{"a", "1"}}}};
  EXPECT_EQ(to_hex(encode_get_conversations_response(conversations)),
            "0a300a132f786d74702f302f6d2d6162632f70726f746f12053078416243180522100a06636861742f3112060a0161120131");
  HmacKeys keys;
  keys["/t"].push_back({654, Secret<32>(Bytes(32, 7))});
  EXPECT_EQ(to_hex(encode_get_conversation_hmac_keys_response(keys)),
            "0a2d0a022f7412270a25088e0512200707070707070707070707070707070707070707070707070707070707070707");
  EXPECT_EQ(to_hex(encode_get_keystore_status_response(KeystoreStatus::kInitialized)), "0802");
  EXPECT_EQ(to_hex(encode(AuthData{"0xAbC", 5})), "0a0530784162431005");
}

TEST(KeystoreApi, DecodesWhatXmtpProtoWrites) {
  auto decrypted = decode_decrypt_response(hex("0a070a050a030102030a1212100a0c6e6f20746f706963206b65791002"), 10);
  ASSERT_TRUE(decrypted) << decrypted.error().message;
  ASSERT_EQ(decrypted->size(), 2u);
  EXPECT_EQ((*decrypted)[0].value(), (Bytes{1, 2, 3}));
  EXPECT_EQ((*decrypted)[1].error().message, "no topic key");
  EXPECT_EQ((*decrypted)[1].error().code, ErrorCode::kNoMatchingPrekey);

  auto sign =
      decode_sign_digest_request(hex("0a20abababababababababababababababababababababababababababababababab1001"));
  ASSERT_TRUE(sign);
  EXPECT_EQ(sign->identity_key, true);
  EXPECT_FALSE(sign->prekey_index);

  auto job = decode_set_refresh_job_request(hex("0803108180a8b1e39fe7cb17"));
  ASSERT_TRUE(job);
  EXPECT_EQ(job->job_type, JobType::kRefreshPppp);
  EXPECT_EQ(job->last_run_ns, 1'700'000'000'000'000'001);

  auto conversations = decode_get_conversations_response(hex("0a380a132f786d74702f302f6d2d6162632f70726f746f12053078416"
                                                             "243180522180a06636861742f3112060a016212013212060a0161"
                                                             "120131"),
                                                         10);
  ASSERT_TRUE(conversations);
  ASSERT_EQ(conversations->size(), 1u);
  EXPECT_EQ(conversations->front().conversation_id, "chat/1");
  EXPECT_EQ(conversations->front().metadata, (std::map<std::string, std::string>{{"a", "1"}, {"b", "2"}}));
  EXPECT_EQ(conversations->front().created_ns, 5u);
}

TEST(KeystoreApi, BatchesRoundTripAndABadItemFailsAlone) {
  std::vector<DecryptV2Item> items = {{some_ciphertext(), Bytes{9}, "/a"}, {some_ciphertext(), Bytes{8}, "/b"}};
  auto bytes = encode_decrypt_v2_request(items);
  auto decoded = decode_decrypt_v2_request(bytes, 2);
  ASSERT_TRUE(decoded);
  ASSERT_EQ(decoded->size(), 2u);
  EXPECT_EQ((*decoded)[1].value().content_topic, "/b");
  EXPECT_EQ((*decoded)[1].value().payload.payload, some_ciphertext().payload);

  items[0].payload.payload = Bytes(3, 0);  // shorter than a GCM tag: refused by the Ciphertext decoder
  decoded = decode_decrypt_v2_request(encode_decrypt_v2_request(items), 2);
  ASSERT_TRUE(decoded);
  ASSERT_FALSE((*decoded)[0]);
  EXPECT_EQ((*decoded)[0].error().code, Errc::kMalformed);
  EXPECT_NE((*decoded)[0].error().message.find("requests[0]"), std::string::npos) << (*decoded)[0].error().message;
  EXPECT_TRUE((*decoded)[1]);
}

TEST(KeystoreApi, RefusesABatchOverItsLimitBeforeParsingIt) {
  std::vector<Bytes> payloads(100'000, Bytes{1});
  const auto bytes = encode_self_encrypt_request(payloads);
  const auto started = std::chrono::steady_clock::now();
  auto decoded = decode_self_encrypt_request(bytes, 1000);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(50));
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().code, Errc::kTooLarge);
  EXPECT_TRUE(decode_self_encrypt_request(bytes, 100'000));
}

TEST(KeystoreApi, RefusesGarbageAndWrongSizes) {
  EXPECT_EQ(decode_decrypt_v1_request(Bytes{0x0a, 0x05, 0x01}, 10).error().code, Errc::kMalformed);
  EXPECT_EQ(decode_sign_digest_request(encode_sign_digest_request({Bytes(31, 1), std::nullopt, 0u})).error().code,
            Errc::kMalformed);
  EXPECT_EQ(decode_get_refresh_job_request(Bytes{0x08, 0x07}).error().code, Errc::kMalformed);
  EXPECT_EQ(decode_decrypt_response(Bytes(kMaxKeystoreMessageSize + 1, 0), 10).error().code, Errc::kTooLarge);
  // A hmac key that is not 32 bytes.
  EXPECT_EQ(decode_get_conversation_hmac_keys_response(hex("0a0a0a022f741204"
                                                           "0a021201"),
                                                       10)
                .error()
                .code,
            Errc::kMalformed);
  auto token = decode_create_auth_token_request({});
  ASSERT_TRUE(token);
  EXPECT_FALSE(*token);
}

TEST(KeystoreApi, RequestsRoundTrip) {
  // A recipient bundle is required: its absence is malformed.
  EXPECT_EQ(decode_create_invite_request(encode_set_refresh_job_request({JobType::kRefreshV1, 1})).error().code,
            Errc::kMalformed);
  std::vector<std::string> topics = {"/a", "/b"};
  EXPECT_EQ(decode_get_conversation_hmac_keys_request(encode_get_conversation_hmac_keys_request(topics), 2).value(),
            topics);
  EXPECT_EQ(decode_get_keystore_status_request(encode_get_keystore_status_request("0xAbC")).value(), "0xAbC");
  EXPECT_EQ(decode_get_refresh_job_request(encode_get_refresh_job_request(JobType::kRefreshV2)).value(),
            JobType::kRefreshV2);
  EXPECT_EQ(decode_get_refresh_job_response(encode_get_refresh_job_response(-5)).value(), -5);
  std::vector<Outcome<Encrypted>> encrypted = {Encrypted{some_ciphertext(), Bytes{4}}};
  auto back = decode_encrypt_response(encode_encrypt_response(encrypted), 1);
  ASSERT_TRUE(back);
  EXPECT_EQ((*back)[0].value().sender_hmac, Bytes{4});
  EXPECT_FALSE(decode_encrypt_response(encode_encrypt_response(encrypted), 0));
}

}  // namespace
}  // namespace keylink::wire::xmtp::keystore_api
