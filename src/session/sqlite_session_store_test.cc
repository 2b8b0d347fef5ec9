#include <gtest/gtest.h>

#include "engine_harness.h"
#include "keylink/session/session_store.h"
#include "keylink/store/errors.h"

namespace keylink::session {
namespace {

class SqliteSessionStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::Database::open(dir.file("home.db"));
    ASSERT_TRUE(opened);
    db = std::make_unique<store::Database>(std::move(*opened));
    auto opened_vault = store::Vault::open(*db, testing::passphrase(), rng, testing::kFastArgon2);
    ASSERT_TRUE(opened_vault);
    vault = std::make_unique<store::Vault>(std::move(*opened_vault));
    auto opened_store = open_sqlite_session_store(*db, *vault, rng);
    ASSERT_TRUE(opened_store) << opened_store.error().message;
    sessions = std::move(*opened_store);
  }

  keylink::testing::TempDir dir;
  FixedRng rng{3};
  std::unique_ptr<store::Database> db;
  std::unique_ptr<store::Vault> vault;
  std::unique_ptr<SessionStore> sessions;
};

TEST_F(SqliteSessionStoreTest, KeysAreStoredSealed) {
  Secret<32> key{ByteView(rng.bytes<32>())};
  ASSERT_TRUE(sessions->put_key("topic-a", key));
  auto loaded = sessions->get_key("topic-a");
  ASSERT_TRUE(loaded && *loaded);
  EXPECT_TRUE(**loaded == key);
  EXPECT_FALSE(*sessions->get_key("topic-b"));

  auto raw = db->prepare("SELECT sealed FROM session_keychain WHERE name = 'topic-a'");
  ASSERT_TRUE(raw && *raw->step() == store::Statement::Step::kRow);
  const ByteView sealed = raw->column_blob(0);
  const std::string haystack(as_chars(sealed));
  EXPECT_EQ(haystack.find(std::string(as_chars(key.expose()))), std::string::npos);
  raw->reset();

  // A sealed key moved to another name does not open there.
  ASSERT_TRUE(db->exec("UPDATE session_keychain SET name = 'topic-b' WHERE name = 'topic-a'"));
  EXPECT_FALSE(sessions->get_key("topic-b"));
  ASSERT_TRUE(sessions->delete_key("topic-b"));
  EXPECT_FALSE(*sessions->get_key("topic-b"));
}

TEST_F(SqliteSessionStoreTest, RecordsRoundTrip) {
  Session session;
  session.topic = std::string(64, 'a');
  session.pairing_topic = std::string(64, 'b');
  session.role = Role::kWallet;
  session.expiry = 1'700'604'800;
  session.namespaces = {{"eip155", {{"eip155:1"}, {"eip155:1:0xab"}, {"personal_sign"}, {"chainChanged"}}}};
  session.required = {{"eip155", {{"eip155:1"}, {"personal_sign"}, {}}}};
  session.self_public_key.fill(1);
  session.peer_public_key.fill(2);
  session.peer.name = "dApp";
  ASSERT_TRUE(sessions->put_session(session));
  Proposal proposal;
  proposal.id = 1'700'000'000'000'123;
  proposal.pairing_topic = session.pairing_topic;
  proposal.proposer_public_key.fill(3);
  proposal.required = session.required;
  proposal.expiry = 1'700'000'300;
  proposal.role = Role::kDapp;
  proposal.session_topic = session.topic;
  ASSERT_TRUE(sessions->put_proposal(proposal));
  ASSERT_TRUE(sessions->put_pairing({session.pairing_topic, 1'700'000'300, true, {"w", "", "", {}}, Role::kDapp}));
  ASSERT_TRUE(sessions->put_request({7, session.topic, "wc_sessionRequest", {{"chainId", "eip155:1"}}, 9, false}));

  auto loaded = sessions->sessions();
  ASSERT_TRUE(loaded && loaded->size() == 1u);
  EXPECT_EQ((*loaded)[0].namespaces.at("eip155").accounts[0], "eip155:1:0xab");
  EXPECT_EQ((*loaded)[0].role, Role::kWallet);
  EXPECT_EQ((*loaded)[0].peer_public_key, session.peer_public_key);
  EXPECT_EQ((*loaded)[0].peer.name, "dApp");
  auto proposals = sessions->proposals();
  ASSERT_TRUE(proposals && proposals->size() == 1u);
  EXPECT_EQ((*proposals)[0].id, proposal.id);
  EXPECT_EQ((*proposals)[0].session_topic, session.topic);
  EXPECT_EQ((*proposals)[0].role, Role::kDapp);
  auto pairings = sessions->pairings();
  ASSERT_TRUE(pairings && pairings->size() == 1u);
  EXPECT_TRUE((*pairings)[0].active);
  auto requests = sessions->requests();
  ASSERT_TRUE(requests && requests->size() == 1u);
  EXPECT_FALSE((*requests)[0].outgoing);
  EXPECT_EQ((*requests)[0].params["chainId"], "eip155:1");

  ASSERT_TRUE(sessions->delete_session(session.topic));
  ASSERT_TRUE(sessions->delete_proposal(proposal.id));
  ASSERT_TRUE(sessions->delete_pairing(session.pairing_topic));
  ASSERT_TRUE(sessions->delete_request(7));
  EXPECT_TRUE(sessions->sessions()->empty());
  EXPECT_TRUE(sessions->proposals()->empty());
  EXPECT_TRUE(sessions->pairings()->empty());
  EXPECT_TRUE(sessions->requests()->empty());
}

TEST_F(SqliteSessionStoreTest, SeenIdsAreForgottenAfterTheirExpiry) {
  ASSERT_TRUE(sessions->mark_seen("t", 5, false, 100));
  EXPECT_TRUE(*sessions->seen("t", 5, false));
  EXPECT_FALSE(*sessions->seen("t", 5, true));
  EXPECT_FALSE(*sessions->seen("u", 5, false));
  ASSERT_TRUE(sessions->forget_seen_before(100));
  EXPECT_TRUE(*sessions->seen("t", 5, false));
  ASSERT_TRUE(sessions->forget_seen_before(101));
  EXPECT_FALSE(*sessions->seen("t", 5, false));
}

TEST_F(SqliteSessionStoreTest, ADamagedRecordIsAnErrorNotACrash) {
  ASSERT_TRUE(db->exec("INSERT INTO session_sessions (topic, record) VALUES ('x', '{\"topic\":5}')"));
  auto loaded = sessions->sessions();
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, store::Errc::kCorrupt);
  ASSERT_TRUE(db->exec("UPDATE session_sessions SET record = 'not json'"));
  EXPECT_FALSE(sessions->sessions());
}

TEST_F(SqliteSessionStoreTest, ReopensItsTablesAndRefusesANewerSchema) {
  ASSERT_TRUE(sessions->mark_seen("t", 1, false, 100));
  auto again = open_sqlite_session_store(*db, *vault, rng);
  ASSERT_TRUE(again);
  EXPECT_TRUE(*(*again)->seen("t", 1, false));
  EXPECT_EQ(*db->user_version(), 0);  // the home's user_version is not ours
  ASSERT_TRUE(db->exec("UPDATE session_schema SET version = 99"));
  auto newer = open_sqlite_session_store(*db, *vault, rng);
  ASSERT_FALSE(newer);
  EXPECT_EQ(newer.error().code, store::Errc::kIncompatible);
}

}  // namespace
}  // namespace keylink::session
