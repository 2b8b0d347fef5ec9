#include "keylink/session/engine.h"

#include <gtest/gtest.h>

#include "engine_harness.h"
#include "keylink/wire/envelope.h"
#include "keylink/wire/pairing_uri.h"
#include "messages.h"

namespace keylink::session {
namespace {

using testing::Network;
using testing::Party;
using namespace std::chrono_literals;

const std::string kAccount = "eip155:1:0xab16a96d359ec26a11e2c2b3d8f8b8942d5bfcdb";

ProposalNamespaces required() {
  return {{"eip155", {{"eip155:1"}, {"personal_sign", "eth_sendTransaction"}, {"accountsChanged", "chainChanged"}}}};
}

SessionNamespaces granted() {
  return {{"eip155",
           {{"eip155:1"}, {kAccount}, {"personal_sign", "eth_sendTransaction"}, {"accountsChanged", "chainChanged"}}}};
}

// The JSON inside a message a party published, opened with the key its store holds for the topic.
Json open_message(Party& party, const Publish& publish) {
  auto key = party.store->get_key(publish.topic);
  EXPECT_TRUE(key && *key);
  auto envelope = wire::Envelope::decode(publish.message);
  EXPECT_TRUE(envelope);
  auto text = envelope->open(**key);
  EXPECT_TRUE(text);
  return Json::parse(*text);
}

class EngineTest : public ::testing::Test {
 protected:
  keylink::testing::TempDir dir;
  FixedRng rng{7};
  ManualClock clock;
  Party dapp{dir.file("dapp.db"), "dapp", rng, clock};
  Party wallet{dir.file("wallet.db"), "wallet", rng, clock};
  Network net{dapp, wallet};

  // connect() and pair(): the wallet holds the proposal.
  Proposal propose() {
    auto connection = dapp.engine->connect(required());
    EXPECT_TRUE(connection) << connection.error().message;
    uri_ = connection->uri;
    auto paired = wallet.engine->pair(uri_);
    EXPECT_TRUE(paired) << paired.error().message;
    net.pump();
    auto received = wallet.next<ProposalReceived>();
    EXPECT_TRUE(received);
    return received ? received->proposal : Proposal{};
  }

  // The whole handshake; returns the session topic.
  std::string settle() {
    Proposal proposal = propose();
    auto topic = wallet.engine->approve(proposal.id, granted());
    EXPECT_TRUE(topic) << topic.error().message;
    net.pump();
    auto settled = dapp.next<SessionSettled>();
    EXPECT_TRUE(settled);
    EXPECT_TRUE(wallet.next<SessionSettled>());
    return topic.value_or("");
  }

  std::string uri_;
};

TEST_F(EngineTest, HappyPathFromConnectToDisconnect) {
  const std::string topic = settle();
  ASSERT_EQ(dapp.engine->sessions().size(), 1u);
  EXPECT_EQ(dapp.engine->sessions()[0].topic, topic);
  EXPECT_EQ(dapp.engine->sessions()[0].namespaces.at("eip155").accounts, std::vector<std::string>{kAccount});
  EXPECT_EQ(dapp.engine->sessions()[0].peer.name, "wallet");
  EXPECT_TRUE(wallet.engine->sessions()[0].acknowledged);
  EXPECT_TRUE(dapp.engine->pairings()[0].active);
  EXPECT_TRUE(dapp.engine->proposals().empty());
  EXPECT_TRUE(wallet.engine->proposals().empty());
  EXPECT_EQ(dapp.published[0].tag, 1100);
  EXPECT_EQ(wallet.published[0].tag, 1101);
  EXPECT_EQ(wallet.published[1].tag, 1102);
  EXPECT_EQ(dapp.published[1].tag, 1103);

  auto id = dapp.engine->request(topic, "eip155:1", "personal_sign", Json::array({"0x68656c6c6f", kAccount}));
  ASSERT_TRUE(id) << id.error().message;
  net.pump();
  auto received = wallet.next<RequestReceived>();
  ASSERT_TRUE(received);
  EXPECT_EQ(received->id, *id);
  EXPECT_EQ(received->method, "personal_sign");
  EXPECT_EQ(received->params[0], "0x68656c6c6f");
  ASSERT_TRUE(wallet.engine->respond(topic, *id, "0xsignature"));
  net.pump();
  auto response = dapp.next<ResponseReceived>();
  ASSERT_TRUE(response);
  EXPECT_EQ(std::get<Json>(response->outcome), "0xsignature");
  EXPECT_EQ(wallet.published.back().tag, 1109);

  ASSERT_TRUE(wallet.engine->emit(topic, "eip155:1", "chainChanged", 1));
  net.pump();
  auto event = dapp.next<EventReceived>();
  ASSERT_TRUE(event);
  EXPECT_EQ(event->name, "chainChanged");

  SessionNamespaces wider = granted();
  wider["eip155"].chains.push_back("eip155:137");
  wider["eip155"].accounts.push_back("eip155:137:0xab16a96d359ec26a11e2c2b3d8f8b8942d5bfcdb");
  ASSERT_TRUE(wallet.engine->update(topic, wider));
  net.pump();
  auto updated = dapp.next<SessionUpdated>();
  ASSERT_TRUE(updated);
  EXPECT_EQ(updated->namespaces.at("eip155").chains.size(), 2u);
  EXPECT_EQ(dapp.engine->sessions()[0].namespaces.at("eip155").chains.size(), 2u);

  clock.advance(24h);
  ASSERT_TRUE(wallet.engine->extend(topic));
  net.pump();
  auto extended = dapp.next<SessionExtended>();
  ASSERT_TRUE(extended);
  EXPECT_EQ(extended->expiry, clock.unix_seconds() + 7 * 86400);

  auto ping = dapp.engine->ping(topic);
  ASSERT_TRUE(ping);
  net.pump();
  auto answered = dapp.next<PingAnswered>();
  ASSERT_TRUE(answered);
  EXPECT_EQ(answered->id, *ping);
  EXPECT_TRUE(dapp.engine->pending_requests().empty());
  EXPECT_TRUE(wallet.engine->pending_requests().empty());

  ASSERT_TRUE(dapp.engine->disconnect(topic));
  net.pump();
  auto deleted = wallet.next<SessionDeleted>();
  ASSERT_TRUE(deleted);
  EXPECT_EQ(deleted->reason.code, codes::kUserDisconnected);
  EXPECT_TRUE(dapp.next<SessionDeleted>());
  EXPECT_TRUE(dapp.engine->sessions().empty());
  EXPECT_TRUE(wallet.engine->sessions().empty());
  EXPECT_FALSE(wallet.subscriptions.contains(topic));
  EXPECT_FALSE(*wallet.store->get_key(topic));
  EXPECT_EQ(dapp.count<MessageDropped>() + wallet.count<MessageDropped>(), 0);
}

TEST_F(EngineTest, MessagesHaveTheShapesOfSignClient) {
  auto connection = dapp.engine->connect(required());
  ASSERT_TRUE(connection);
  net.pump();
  Json propose = open_message(dapp, dapp.published[0]);
  EXPECT_EQ(propose["method"], "wc_sessionPropose");
  EXPECT_EQ(propose["id"], connection->proposal_id);
  const Json& params = propose["params"];
  EXPECT_EQ(params["relays"], Json::parse(R"([{"protocol":"irn"}])"));
  EXPECT_EQ(params["pairingTopic"], connection->pairing_topic);
  EXPECT_EQ(params["expiryTimestamp"], clock.unix_seconds() + 300);
  EXPECT_EQ(params["proposer"]["publicKey"].get<std::string>().size(), 64u);
  EXPECT_EQ(params["proposer"]["metadata"]["name"], "dapp");
  EXPECT_EQ(params["requiredNamespaces"]["eip155"]["chains"][0], "eip155:1");
  EXPECT_TRUE(params["optionalNamespaces"].is_object());
  EXPECT_FALSE(params.contains("sessionProperties"));  // sign-client leaves it out when empty
  EXPECT_GT(connection->proposal_id, clock.unix_millis() * 1000 - 1);
  EXPECT_LT(connection->proposal_id, clock.unix_millis() * 1000 + 1000);

  ASSERT_TRUE(wallet.engine->pair(connection->uri));
  net.pump();
  auto proposal = wallet.next<ProposalReceived>();
  ASSERT_TRUE(proposal);
  ASSERT_TRUE(wallet.engine->approve(proposal->proposal.id, granted()));
  net.hold = true;
  net.pump();
  Json response = open_message(wallet, wallet.published[0]);
  EXPECT_EQ(response["result"]["relay"]["protocol"], "irn");
  EXPECT_EQ(response["result"]["responderPublicKey"].get<std::string>().size(), 64u);
  Json settle = open_message(wallet, wallet.published[1]);
  EXPECT_EQ(settle["method"], "wc_sessionSettle");
  EXPECT_EQ(settle["params"]["relay"]["protocol"], "irn");
  EXPECT_EQ(settle["params"]["controller"]["publicKey"], response["result"]["responderPublicKey"]);
  EXPECT_EQ(settle["params"]["namespaces"]["eip155"]["accounts"][0], kAccount);
  EXPECT_EQ(settle["params"]["expiry"], clock.unix_seconds() + 7 * 86400);
}

TEST_F(EngineTest, SessionPropertiesTravelWithTheProposalAndSurviveARestart) {
  const std::map<std::string, std::string> properties = {{"xmtp_appKey", "AAAA"}, {"other", "text"}};
  auto connection = dapp.engine->connect(required(), {}, properties);
  ASSERT_TRUE(connection) << connection.error().message;
  net.pump();
  EXPECT_EQ(open_message(dapp, dapp.published[0])["params"]["sessionProperties"], Json(properties));
  ASSERT_TRUE(wallet.engine->pair(connection->uri));
  net.pump();
  auto received = wallet.next<ProposalReceived>();
  ASSERT_TRUE(received);
  EXPECT_EQ(received->proposal.session_properties, properties);
  wallet.open();  // the stored proposal keeps them
  ASSERT_EQ(wallet.engine->proposals().size(), 1u);
  EXPECT_EQ(wallet.engine->proposals()[0].session_properties, properties);
}

TEST(SessionPropertiesTest, OnlyAnObjectOfStringsIsAccepted) {
  Json params = detail::proposal_params(Proposal{});
  for (const char* bad : {R"({"xmtp_appKey": 1})", R"(["x"])", R"("x")"}) {
    params["sessionProperties"] = Json::parse(bad);
    auto parsed = detail::parse_proposal(params, 1, "topic", 0);
    ASSERT_FALSE(parsed) << bad;
    EXPECT_NE(parsed.error().message.find("sessionProperties"), std::string::npos) << parsed.error().message;
  }
}

TEST_F(EngineTest, RejectReachesTheApp) {
  Proposal proposal = propose();
  ASSERT_TRUE(wallet.engine->reject(proposal.id, {codes::kUserRejected, "User rejected.", Json()}));
  net.pump();
  auto rejected = dapp.next<ProposalRejected>();
  ASSERT_TRUE(rejected);
  EXPECT_EQ(rejected->proposal_id, proposal.id);
  EXPECT_EQ(rejected->error.code, codes::kUserRejected);
  EXPECT_EQ(wallet.published.back().tag, 1120);
  EXPECT_TRUE(dapp.engine->proposals().empty());
  EXPECT_TRUE(wallet.engine->proposals().empty());
}

TEST_F(EngineTest, ApproveMustCoverTheRequiredNamespaces) {
  Proposal proposal = propose();
  SessionNamespaces missing_method = granted();
  missing_method["eip155"].methods = {"personal_sign"};
  auto approved = wallet.engine->approve(proposal.id, missing_method);
  ASSERT_FALSE(approved);
  EXPECT_EQ(approved.error().code, Errc::kInvalid);
  SessionNamespaces foreign_account = granted();
  foreign_account["eip155"].accounts = {"eip155:5:0xab16a96d359ec26a11e2c2b3d8f8b8942d5bfcdb"};
  EXPECT_FALSE(wallet.engine->approve(proposal.id, foreign_account));
  EXPECT_TRUE(wallet.engine->approve(proposal.id, granted()));
}

TEST_F(EngineTest, AUsedUriIsRefusedWithAClearError) {
  settle();
  auto again = wallet.engine->pair(uri_);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::kAlreadyUsed);
  EXPECT_NE(again.error().message.find("new QR code"), std::string::npos);
  wallet.open();  // and after a restart
  EXPECT_EQ(wallet.engine->pair(uri_).error().code, Errc::kAlreadyUsed);
}

TEST_F(EngineTest, AnExpiredUriIsRefused) {
  auto connection = dapp.engine->connect(required());
  ASSERT_TRUE(connection);
  clock.advance(301s);
  auto paired = wallet.engine->pair(connection->uri);
  ASSERT_FALSE(paired);
  EXPECT_EQ(paired.error().code, Errc::kExpired);
}

TEST_F(EngineTest, AProposalExpires) {
  auto connection = dapp.engine->connect(required());
  ASSERT_TRUE(connection);
  net.pump();
  ASSERT_TRUE(dapp.engine->next_deadline());
  EXPECT_EQ(*dapp.engine->next_deadline(), clock.now() + 300s);
  clock.advance(300s);
  ASSERT_TRUE(dapp.engine->on_timer());
  net.pump();
  auto rejected = dapp.next<ProposalRejected>();
  ASSERT_TRUE(rejected);
  EXPECT_EQ(rejected->error.code, codes::kSessionRequestExpired);
  EXPECT_TRUE(dapp.next<PairingDeleted>());
  EXPECT_TRUE(dapp.engine->proposals().empty());
  EXPECT_TRUE(dapp.engine->pairings().empty());
  EXPECT_FALSE(dapp.engine->next_deadline());
}

TEST_F(EngineTest, RequestsExpireOnBothSides) {
  const std::string topic = settle();
  auto id = dapp.engine->request(topic, "eip155:1", "personal_sign", Json::array(), 300);
  ASSERT_TRUE(id);
  net.pump();
  ASSERT_TRUE(wallet.next<RequestReceived>());
  clock.advance(301s);
  ASSERT_TRUE(dapp.engine->on_timer());
  ASSERT_TRUE(wallet.engine->on_timer());
  net.pump();
  EXPECT_EQ(dapp.next<RequestExpired>()->id, *id);
  EXPECT_EQ(wallet.next<RequestExpired>()->id, *id);
  EXPECT_EQ(wallet.engine->respond(topic, *id, true).error().code, Errc::kNotFound);
  EXPECT_FALSE(dapp.next<ResponseReceived>());  // the wallet's 8000 found no request waiting
  EXPECT_TRUE(dapp.next<MessageDropped>());
}

TEST_F(EngineTest, ARequestThatArrivesExpiredIsAnsweredWith8000) {
  const std::string topic = settle();
  net.hold = true;
  auto id = dapp.engine->request(topic, "eip155:1", "personal_sign", Json::array(), 300);
  ASSERT_TRUE(id);
  net.pump();
  clock.advance(301s);
  net.hold = false;
  net.pump();
  EXPECT_FALSE(wallet.next<RequestReceived>());
  auto response = dapp.next<ResponseReceived>();
  ASSERT_TRUE(response);
  EXPECT_EQ(std::get<wire::RpcError>(response->outcome).code, codes::kSessionRequestExpired);
}

TEST_F(EngineTest, AnUngrantedMethodIsRefusedBothWays) {
  const std::string topic = settle();
  auto local = dapp.engine->request(topic, "eip155:1", "eth_signTypedData_v4", Json::array());
  ASSERT_FALSE(local);
  EXPECT_EQ(local.error().code, Errc::kUnauthorized);

  // A peer that sends it anyway gets 3001 at once; nothing reaches the wallet's app.
  auto key = dapp.store->get_key(topic);
  ASSERT_TRUE(key && *key);
  const std::string text =
      R"({"id":1700000000000123,"jsonrpc":"2.0","method":"wc_sessionRequest","params":{"request":{"method":"eth_signTypedData_v4","params":[]},"chainId":"eip155:1"}})";
  ASSERT_TRUE(wallet.engine->on_message(topic, wire::seal_type0(**key, text, rng)));
  net.hold = true;
  net.pump();
  EXPECT_FALSE(wallet.next<RequestReceived>());
  Json answer = open_message(wallet, wallet.published.back());
  EXPECT_EQ(answer["error"]["code"], codes::kUnauthorizedMethod);
  EXPECT_EQ(answer["id"], 1700000000000123);
}

TEST_F(EngineTest, TheWalletRestartsBeforeApproving) {
  Proposal proposal = propose();
  wallet.open();
  net.pump();
  ASSERT_EQ(wallet.engine->proposals().size(), 1u);
  ASSERT_TRUE(wallet.engine->approve(proposal.id, granted()));
  net.hold = true;
  net.pump();
  wallet.open();  // the settle is in flight; its ack must still find the wallet's pending settle
  net.hold = false;
  net.pump();
  EXPECT_TRUE(dapp.next<SessionSettled>());
  EXPECT_TRUE(wallet.next<SessionSettled>());
  EXPECT_TRUE(wallet.engine->sessions()[0].acknowledged);
}

TEST_F(EngineTest, TheDappRestartsBetweenResponseAndSettle) {
  auto connection = dapp.engine->connect(required());
  ASSERT_TRUE(connection);
  net.pump();   // the proposal waits in the mailbox
  dapp.open();  // before the wallet scans
  ASSERT_TRUE(wallet.engine->pair(connection->uri));
  net.pump();
  auto proposal = wallet.next<ProposalReceived>();
  ASSERT_TRUE(proposal);
  ASSERT_TRUE(wallet.engine->approve(proposal->proposal.id, granted()));
  net.deliver_one();  // the response only
  dapp.open();
  net.pump();
  auto settled = dapp.next<SessionSettled>();
  ASSERT_TRUE(settled);
  EXPECT_EQ(settled->session.peer.name, "wallet");
  EXPECT_TRUE(wallet.next<SessionSettled>());
}

TEST_F(EngineTest, HostileMessagesAreDroppedAndNothingElse) {
  const std::string topic = settle();
  auto id = dapp.engine->request(topic, "eip155:1", "personal_sign", Json::array());
  ASSERT_TRUE(id);
  net.hold = true;
  net.pump();
  const Publish request = dapp.published.back();
  std::string tampered = request.message;
  tampered[20] = tampered[20] == 'A' ? 'B' : 'A';
  for (const auto& [on, text] : std::vector<std::pair<std::string, std::string>>{
           {topic, tampered}, {topic, "not base64!"}, {topic, ""}, {std::string(64, 'f'), request.message}}) {
    ASSERT_TRUE(wallet.engine->on_message(on, text));
    auto actions = wallet.engine->take_actions();
    ASSERT_EQ(actions.size(), 1u) << text;
    EXPECT_TRUE(std::holds_alternative<MessageDropped>(actions[0]));
  }
  auto key = dapp.store->get_key(topic);
  for (const std::string text : {"[]", "{}", R"({"jsonrpc":"2.0","id":"x","method":"wc_sessionPing"})",
                                 R"({"jsonrpc":"2.0","id":5,"result":true})",
                                 R"({"jsonrpc":"2.0","id":6,"method":"wc_sessionRequest","params":{"request":7}})"}) {
    ASSERT_TRUE(wallet.engine->on_message(topic, wire::seal_type0(**key, text, rng)));
    auto actions = wallet.engine->take_actions();
    ASSERT_FALSE(actions.empty()) << text;
    EXPECT_TRUE(std::holds_alternative<MessageDropped>(actions.back())) << text;
    for (const auto& action : actions) {
      EXPECT_TRUE(std::holds_alternative<MessageDropped>(action) || std::holds_alternative<Publish>(action)) << text;
    }
  }
  // The real request once, then its replay.
  ASSERT_TRUE(wallet.engine->on_message(topic, request.message));
  EXPECT_EQ(wallet.engine->take_actions().size(), 1u);  // RequestReceived
  ASSERT_TRUE(wallet.engine->on_message(topic, request.message));
  auto replay = wallet.engine->take_actions();
  ASSERT_EQ(replay.size(), 1u);
  EXPECT_NE(std::get<MessageDropped>(replay[0]).reason.find("replayed"), std::string::npos);
}

TEST_F(EngineTest, SessionsExpireAndPairingsCanBeDeleted) {
  const std::string topic = settle();
  const std::string pairing = dapp.engine->sessions()[0].pairing_topic;
  ASSERT_TRUE(dapp.engine->ping(pairing));
  net.pump();
  EXPECT_TRUE(dapp.next<PingAnswered>());
  ASSERT_TRUE(dapp.engine->disconnect(pairing));
  net.pump();
  EXPECT_TRUE(wallet.next<PairingDeleted>());
  EXPECT_TRUE(wallet.engine->pairings().empty());
  clock.advance(7 * 24h);
  ASSERT_TRUE(wallet.engine->on_timer());
  net.pump();
  auto expired = wallet.next<SessionDeleted>();
  ASSERT_TRUE(expired);
  EXPECT_EQ(expired->topic, topic);
  EXPECT_EQ(expired->reason.code, codes::kExpired);
}

}  // namespace
}  // namespace keylink::session
