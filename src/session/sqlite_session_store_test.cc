#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

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
  ASSERT_TRUE(sessions->delete_request(session.topic, 7));
  EXPECT_TRUE(sessions->sessions()->empty());
  EXPECT_TRUE(sessions->proposals()->empty());
  EXPECT_TRUE(sessions->pairings()->empty());
  EXPECT_TRUE(sessions->requests()->empty());
}

// Every byte of a database file and its WAL, after a checkpoint.
std::string file_bytes(store::Database& db, const std::string& path) {
  EXPECT_TRUE(db.exec("PRAGMA wal_checkpoint(FULL)"));
  std::string out;
  for (const std::string& name : {path, path + "-wal"}) {
    std::ifstream in(name, std::ios::binary);
    out.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return out;
}

TEST_F(SqliteSessionStoreTest, RequestParamsAreStoredSealed) {
  const std::string text = "Sign in to example.org, nonce 8c1f93";
  ASSERT_TRUE(sessions->put_request({7,
                                     "topic-a",
                                     "wc_sessionRequest",
                                     {{"request", {{"method", "personal_sign"}, {"params", {text, "0xab"}}}}},
                                     9,
                                     false}));
  EXPECT_EQ(file_bytes(*db, dir.file("home.db")).find(text), std::string::npos);
  auto requests = sessions->requests();
  ASSERT_TRUE(requests && requests->size() == 1u) << (requests ? "" : requests.error().message);
  EXPECT_EQ((*requests)[0].params["request"]["params"][0], text);

  // A sealed record moved to another row does not open there.
  ASSERT_TRUE(db->exec("UPDATE session_pending SET id = 8"));
  auto moved = sessions->requests();
  ASSERT_FALSE(moved);
  EXPECT_EQ(moved.error().code, store::Errc::kCorrupt);
}

TEST_F(SqliteSessionStoreTest, RequestsAreKeyedByTopicAndId) {
  ASSERT_TRUE(sessions->put_request({7, "topic-a", "wc_sessionRequest", Json::object(), 9, false}));
  ASSERT_TRUE(sessions->put_request({7, "topic-b", "wc_sessionRequest", Json::object(), 9, false}));
  EXPECT_EQ(sessions->requests()->size(), 2u);
  ASSERT_TRUE(sessions->delete_request("topic-b", 7));
  auto left = sessions->requests();
  ASSERT_TRUE(left && left->size() == 1u);
  EXPECT_EQ((*left)[0].topic, "topic-a");
}

TEST_F(SqliteSessionStoreTest, RequestsOfSchemaOneAreSealedByTheMigration) {
  auto opened = store::Database::open(dir.file("v1.db"));
  ASSERT_TRUE(opened);
  ASSERT_TRUE(opened->exec(
      "CREATE TABLE session_schema (version INTEGER NOT NULL); INSERT INTO session_schema VALUES (1);"
      "CREATE TABLE session_requests (id INTEGER PRIMARY KEY, record TEXT NOT NULL);"
      "INSERT INTO session_requests VALUES (7, '{\"id\":7,\"topic\":\"t\",\"method\":\"wc_sessionRequest\","
      "\"params\":{\"text\":\"old clear text\"},\"expiry\":9,\"outgoing\":false}');"));
  auto v1_vault = store::Vault::open(*opened, testing::passphrase(), rng, testing::kFastArgon2);
  ASSERT_TRUE(v1_vault);
  auto migrated = open_sqlite_session_store(*opened, *v1_vault, rng);
  ASSERT_TRUE(migrated) << migrated.error().message;
  auto requests = (*migrated)->requests();
  ASSERT_TRUE(requests && requests->size() == 1u);
  EXPECT_EQ((*requests)[0].params["text"], "old clear text");
  auto table = opened->prepare("SELECT count(*) FROM sqlite_master WHERE name = 'session_requests'");
  ASSERT_TRUE(table && *table->step() == store::Statement::Step::kRow);
  EXPECT_EQ(table->column_int64(0), 0);
  table->reset();
  auto version = opened->prepare("SELECT version FROM session_schema");
  ASSERT_TRUE(version && *version->step() == store::Statement::Step::kRow);
  EXPECT_EQ(version->column_int64(0), 2);
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
