#include "keylink/keystore/gate.h"

#include <gtest/gtest.h>

#include "keylink/base/encoding.h"
#include "keylink/keystore/app_request.h"
#include "policy_test_home.h"

namespace keylink::keystore {
namespace {

using namespace std::chrono_literals;
using testing::app_key;

const std::string kTopic(64, 'a');
const Bytes kReq = {8, 1};
const Bytes kRes = {1, 2, 3};

class GateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    approval = gate.approvals()
                   .grant({.name = "Chat",
                           .url = "https://chat.example",
                           .origin = "unverified",
                           .app_key = app_key(1).public_key()},
                          {Scope::kRead, Scope::kSend}, kTopic, "0x9858EfFD232B4033E47d90003D41EC34EcaEda94", home.rng,
                          home.clock.now())
                   .value();
    gate.on_pause = [this](const Approval& paused) { pauses.push_back(paused); };
  }

  // Every call reached the log, and the log still checks out.
  void TearDown() override {
    auto entries = gate.audit_log().list(1'000'000);
    ASSERT_TRUE(entries);
    EXPECT_EQ(entries->size(), calls);
    auto verified = gate.audit_log().verify();
    EXPECT_TRUE(verified) << verified.error().message;
  }

  // The request, signed by app key `key` for `channel`, and the gate's answer.
  tl::expected<wire::Json, wire::RpcError> call(std::string_view method, std::uint64_t counter, Bytes req = kReq,
                                                std::uint8_t key = 1, const std::string& channel = kTopic) {
    return send(channel, method, app_request_params(app_key(key), channel, method, req, counter));
  }
  tl::expected<wire::Json, wire::RpcError> send(const std::string& channel, std::string_view method,
                                                const wire::Json& params) {
    ++calls;
    return gate.answer(channel, method, params, handler);
  }

  // The answer is a refusal with `code` whose message says `why`, and the log's newest entry records it.
  void expect_refused(const tl::expected<wire::Json, wire::RpcError>& answer, std::int64_t code, std::string_view why,
                      std::string_view logged_approval) {
    ASSERT_FALSE(answer) << answer->dump();
    EXPECT_EQ(answer.error().code, code) << answer.error().message;
    EXPECT_NE(answer.error().message.find(why), std::string::npos) << answer.error().message;
    const AuditEntry newest = gate.audit_log().list(1).value().at(0);
    EXPECT_EQ(newest.outcome, std::to_string(code));
    EXPECT_EQ(newest.approval, logged_approval);
  }

  Approval stored() { return gate.approvals().find(approval.id).value().value(); }

  testing::PolicyHome home;
  Gate gate{home.db, home.vault, home.clock, home.rng};
  Approval approval;
  std::vector<Approval> pauses;
  std::size_t calls = 0;
  std::vector<std::string> handled;  // methods the handler ran
  ServiceReply reply{kRes, 1, {"/xmtp/0/m-topic/proto"}};
  KeystoreHandler handler = [this](std::string_view method, ByteView req) {
    handled.emplace_back(method);
    EXPECT_TRUE(req.empty() || Bytes(req.begin(), req.end()) == kReq);
    return reply;
  };
};

TEST_F(GateTest, AnApprovedSignedRequestRunsAndIsLoggedAndCounted) {
  auto answer = call("xmtp_decryptV2", 1);
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_EQ(*answer, (wire::Json{{"res", to_base64(kRes)}}));
  EXPECT_EQ(handled, std::vector<std::string>{"xmtp_decryptV2"});
  const AuditEntry entry = gate.audit_log().list(1).value().at(0);
  EXPECT_EQ(entry.approval, approval.id);
  EXPECT_EQ(entry.method, "xmtp_decryptV2");
  EXPECT_EQ(entry.outcome, "ok");
  EXPECT_EQ(entry.topic_hashes, std::vector<std::string>{to_hex(crypto::sha256(as_bytes("/xmtp/0/m-topic/proto")))});
  home.clock.advance(5s);
  ASSERT_TRUE(call("xmtp_getPublicKeyBundle", 7, {}));  // scope "any", no req; counters may skip
  const Approval used = stored();
  EXPECT_EQ(used.calls.at("xmtp_decryptV2"), 1u);
  EXPECT_EQ(used.calls.at("xmtp_getPublicKeyBundle"), 1u);
  EXPECT_EQ(used.last_counter, 7u);
  EXPECT_EQ(used.last_used, home.clock.now());
}

TEST_F(GateTest, AnUnknownMethodIsRefusedBeforeAnythingElse) {
  expect_refused(send(kTopic, "xmtp_launchMissiles", wire::Json()), codes::kNotGranted, "not a method", "");
  expect_refused(send("no-such-channel", "eth_sign", wire::Json()), codes::kNotGranted, "not a method", "");
  EXPECT_TRUE(handled.empty());
}

TEST_F(GateTest, ExportsAreNeverAllowed) {
  for (const char* method : {"xmtp_getPrivateKeyBundle", "xmtp_initKeystore", "xmtp_exportKeys"}) {
    expect_refused(call(method, 1), codes::kNotGranted, "never: private keys do not leave the wallet", "");
  }
  EXPECT_TRUE(handled.empty());
}

TEST_F(GateTest, ParamsOfTheWrongShapeAreInvalid) {
  expect_refused(send(kTopic, "xmtp_decryptV2", wire::Json::array()), codes::kInvalidParams, "params must be", "");
  expect_refused(send(kTopic, "xmtp_decryptV2", {{"req", "!!"}, {"appCounter", 1}, {"appSig", ""}}),
                 codes::kInvalidParams, "req is not base64", "");
  expect_refused(call("xmtp_getPublicKeyBundle", 1, kReq), codes::kInvalidParams, "takes no req", "");
  EXPECT_TRUE(handled.empty());
}

TEST_F(GateTest, AChannelWithoutApprovalIsRefused) {
  expect_refused(call("xmtp_decryptV2", 1, kReq, 1, std::string(64, 'b')), codes::kNoApproval, "no approval", "");
}

TEST_F(GateTest, ARevokedApprovalIsRefused) {
  ASSERT_TRUE(gate.approvals().revoke(approval.id, home.clock.now()));
  expect_refused(call("xmtp_decryptV2", 1), codes::kApprovalRevoked, "revoked", approval.id);
  EXPECT_TRUE(handled.empty());
}

TEST_F(GateTest, AnApprovalExpiresThirtyDaysAfterItsGrantUntilRenewed) {
  home.clock.advance(kApprovalLifetime - 1s);
  ASSERT_TRUE(call("xmtp_decryptV2", 1));
  home.clock.advance(2s);  // 30 days + 1 s
  expect_refused(call("xmtp_decryptV2", 2), codes::kApprovalExpired, "expired on", approval.id);
  ASSERT_TRUE(gate.approvals().renew(approval.id, home.clock.now()));
  ASSERT_TRUE(call("xmtp_decryptV2", 3));
  home.clock.advance(kApprovalLifetime + 1s);
  expect_refused(call("xmtp_decryptV2", 4), codes::kApprovalExpired, "renew", approval.id);
}

TEST_F(GateTest, ABadSignatureIsRefusedAndIsNotAUse) {
  expect_refused(call("xmtp_decryptV2", 1, kReq, /*key=*/2), codes::kBadAppSignature, "not a signature", approval.id);
  // Signed for another channel, or another method, and sent here.
  expect_refused(send(kTopic, "xmtp_decryptV2", app_request_params(app_key(1), "local:x", "xmtp_decryptV2", kReq, 2)),
                 codes::kBadAppSignature, "app key", approval.id);
  expect_refused(send(kTopic, "xmtp_decryptV2", app_request_params(app_key(1), kTopic, "xmtp_decryptV1", kReq, 3)),
                 codes::kBadAppSignature, "app key", approval.id);
  EXPECT_TRUE(stored().calls.empty());
  EXPECT_EQ(stored().last_counter, 0u);
  EXPECT_TRUE(handled.empty());
}

TEST_F(GateTest, UnprovenRequestsAreLoggedAtARateAndRefusedAllTheSame) {
  // Someone with the session but not the app key: 100 forged requests and 100 replays at once.
  for (std::uint64_t i = 1; i <= 100; ++i) {
    const auto refused = call("xmtp_decryptV2", i, kReq, /*key=*/2);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, codes::kBadAppSignature);
  }
  const wire::Json captured = app_request_params(app_key(1), kTopic, "xmtp_decryptV2", kReq, 1);
  ASSERT_TRUE(send(kTopic, "xmtp_decryptV2", captured));
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(send(kTopic, "xmtp_decryptV2", captured).error().code, codes::kReplayedCounter);
  // The log kept the first burst of them and the app's own request; the app goes on, logged as always.
  const auto burst = static_cast<std::size_t>(kUnprovenLogLimits.request_burst);
  EXPECT_EQ(gate.audit_log().list(1'000).value().size(), burst + 1);
  ASSERT_TRUE(call("xmtp_decryptV2", 2));
  // A second later, one more unproven request is logged; another channel has a burst of its own.
  home.clock.advance(1s);
  EXPECT_FALSE(call("xmtp_decryptV2", 3, kReq, /*key=*/2));
  EXPECT_FALSE(call("xmtp_decryptV2", 4, kReq, /*key=*/2));
  EXPECT_FALSE(call("xmtp_decryptV2", 1, kReq, 1, "local:other"));
  const auto logged = gate.audit_log().list(1'000).value().size();
  EXPECT_EQ(logged, burst + 4);
  calls = logged;  // TearDown: what was logged checks out
}

TEST_F(GateTest, ACounterNotAboveTheLastAcceptedIsAReplay) {
  const wire::Json params = app_request_params(app_key(1), kTopic, "xmtp_decryptV2", kReq, 5);
  ASSERT_TRUE(send(kTopic, "xmtp_decryptV2", params));
  expect_refused(send(kTopic, "xmtp_decryptV2", params), codes::kReplayedCounter, "replayed", approval.id);
  expect_refused(call("xmtp_decryptV2", 4), codes::kReplayedCounter, "last accepted, 5", approval.id);
  ASSERT_TRUE(call("xmtp_decryptV2", 6));
  EXPECT_EQ(handled.size(), 2u);
  EXPECT_EQ(stored().calls.at("xmtp_decryptV2"), 2u);
}

TEST_F(GateTest, AScopeNotGrantedIsRefusedByName) {
  expect_refused(call("xmtp_createAuthToken", 1), codes::kNotGranted, "needs the scope 'auth'", approval.id);
  expect_refused(call("xmtp_getV2ConversationHmacKeys", 2), codes::kNotGranted, "'push'", approval.id);
  EXPECT_TRUE(handled.empty());
  EXPECT_EQ(stored().last_counter, 2u);  // signed and fresh: the counter is spent
}

TEST_F(GateTest, TheHandlersRefusalPassesThroughAndIsLogged) {
  reply = {tl::unexpected(wire::RpcError{codes::kBatchTooLarge, "a batch holds at most 1000 items", {}}), 1001, {}};
  expect_refused(call("xmtp_decryptV2", 1), codes::kBatchTooLarge, "at most 1000", approval.id);
  EXPECT_EQ(gate.audit_log().list(1).value().at(0).items, 1001u);
  EXPECT_EQ(stored().calls.at("xmtp_decryptV2"), 1u);
}

TEST_F(GateTest, ABurstOverTheRequestLimitPausesTheApprovalForAMinute) {
  std::uint64_t counter = 0;
  for (int i = 0; i < 500; ++i) ASSERT_TRUE(call("xmtp_getPublicKeyBundle", ++counter, {})) << i;
  const TimePoint tripped = home.clock.now();
  expect_refused(call("xmtp_getPublicKeyBundle", ++counter, {}), codes::kRateLimited,
                 "paused until " + iso_time(tripped + 60s), approval.id);
  ASSERT_EQ(pauses.size(), 1u);
  EXPECT_EQ(pauses[0].id, approval.id);
  EXPECT_EQ(pauses[0].paused_until, tripped + 60s);
  EXPECT_EQ(stored().paused_until, tripped + 60s);

  home.clock.advance(59s);
  expect_refused(call("xmtp_getPublicKeyBundle", ++counter, {}), codes::kRateLimited, iso_time(tripped + 60s),
                 approval.id);
  // A restart keeps the pause.
  Gate restarted(home.db, home.vault, home.clock, home.rng);
  ++calls;
  EXPECT_FALSE(restarted.answer(kTopic, "xmtp_getPublicKeyBundle",
                                app_request_params(app_key(1), kTopic, "xmtp_getPublicKeyBundle", {}, ++counter),
                                handler));
  home.clock.advance(1s);
  EXPECT_TRUE(call("xmtp_getPublicKeyBundle", ++counter, {}));
  EXPECT_EQ(pauses.size(), 1u);
}

TEST_F(GateTest, ABurstOverTheItemLimitPausesTheApproval) {
  reply.items = 1000;
  std::uint64_t counter = 0;
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(call("xmtp_decryptV2", ++counter)) << i;
  expect_refused(call("xmtp_decryptV2", ++counter), codes::kRateLimited, "5000 items/s", approval.id);
  EXPECT_EQ(pauses.size(), 1u);
  expect_refused(call("xmtp_decryptV2", ++counter), codes::kRateLimited, "paused until", approval.id);
  home.clock.advance(60s);
  EXPECT_TRUE(call("xmtp_decryptV2", ++counter));
}

TEST_F(GateTest, RenewLiftsAPauseAtOnce) {
  Gate strict(home.db, home.vault, home.clock, home.rng, {.requests_per_second = 1, .request_burst = 1});
  auto ask = [&](std::uint64_t counter) {
    ++calls;
    return strict.answer(kTopic, "xmtp_getPublicKeyBundle",
                         app_request_params(app_key(1), kTopic, "xmtp_getPublicKeyBundle", {}, counter), handler);
  };
  ASSERT_TRUE(ask(1));
  expect_refused(ask(2), codes::kRateLimited, "1 requests/s", approval.id);
  expect_refused(ask(3), codes::kRateLimited, "paused until", approval.id);
  ASSERT_TRUE(gate.approvals().renew(approval.id, home.clock.now()));
  EXPECT_TRUE(ask(4));
}

}  // namespace
}  // namespace keylink::keystore
