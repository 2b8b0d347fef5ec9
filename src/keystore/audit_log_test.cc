#include "keylink/keystore/audit_log.h"

#include <gtest/gtest.h>

#include "keylink/base/encoding.h"
#include "keylink/keystore/errors.h"
#include "keylink/store/transaction.h"
#include "policy_test_home.h"

namespace keylink::keystore {
namespace {

using namespace std::chrono_literals;

class AuditLogTest : public ::testing::Test {
 protected:
  testing::PolicyHome home;
  AuditLog log{home.db, home.vault, home.rng};

  void append(int count) {
    for (int i = 0; i < count; ++i) {
      AuditEvent event{
          "0123456789abcdef", i % 2 ? "xmtp_encryptV2" : "xmtp_decryptV2", 1, "ok", {"topic-" + std::to_string(i)}};
      auto seq = log.append(event, home.clock.now());
      ASSERT_TRUE(seq) << seq.error().message;
      home.clock.advance(1s);
    }
  }

  // verify() fails naming `seq`.
  void expect_broken_at(std::uint64_t seq) {
    auto verified = log.verify();
    ASSERT_FALSE(verified);
    EXPECT_EQ(verified.error().code, Errc::kAuditLogTampered);
    EXPECT_NE(verified.error().message.find("entry " + std::to_string(seq)), std::string::npos)
        << verified.error().message;
  }

  void exec(const std::string& sql) { ASSERT_TRUE(home.db.exec(sql)); }
};

TEST_F(AuditLogTest, EntriesKeepWhatTheGateSawAndOnlyHashesOfTopics) {
  const TimePoint start = home.clock.now();
  ASSERT_TRUE(log.append({"", "xmtp_nope", 1, "3001", {}}, start));
  ASSERT_TRUE(log.append({"0123456789abcdef", "xmtp_decryptV2", 3, "ok", {"/xmtp/0/m-a/proto", "b"}}, start + 1s));
  auto entries = log.list(10);
  ASSERT_TRUE(entries);
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].seq, 1u);
  EXPECT_EQ((*entries)[0].approval, "");
  EXPECT_EQ((*entries)[0].outcome, "3001");
  EXPECT_TRUE((*entries)[0].topic_hashes.empty());
  const AuditEntry& second = (*entries)[1];
  EXPECT_EQ(second.seq, 2u);
  EXPECT_EQ(second.time, start + 1s);
  EXPECT_EQ(second.approval, "0123456789abcdef");
  EXPECT_EQ(second.method, "xmtp_decryptV2");
  EXPECT_EQ(second.items, 3u);
  EXPECT_EQ(second.outcome, "ok");
  EXPECT_EQ(second.topic_hashes, (std::vector<std::string>{to_hex(crypto::sha256(as_bytes("/xmtp/0/m-a/proto"))),
                                                           to_hex(crypto::sha256(as_bytes("b")))}));
  EXPECT_TRUE(log.verify());
  // Only hashes reach the disk.
  auto raw = home.db.prepare("SELECT count(*) FROM keystore_audit WHERE topics LIKE '%xmtp%'");
  ASSERT_TRUE(raw);
  ASSERT_EQ(raw->step().value(), store::Statement::Step::kRow);
  EXPECT_EQ(raw->column_int64(0), 0);
}

TEST_F(AuditLogTest, ListGivesTheNewestOldestFirst) {
  append(5);
  auto entries = log.list(2);
  ASSERT_TRUE(entries);
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].seq, 4u);
  EXPECT_EQ((*entries)[1].seq, 5u);
}

TEST_F(AuditLogTest, AnEmptyLogVerifiesAndALongMethodIsCut) {
  EXPECT_TRUE(log.verify());
  ASSERT_TRUE(log.append({"", std::string(1000, 'x'), 1, "3001", {}}, home.clock.now()));
  EXPECT_EQ(log.list(1).value().front().method.size(), kMaxLoggedMethod);
  EXPECT_TRUE(log.verify());
}

TEST_F(AuditLogTest, TheChainContinuesAfterAReopen) {
  append(3);
  AuditLog reopened(home.db, home.vault, home.rng);
  ASSERT_TRUE(reopened.append({"", "xmtp_decryptV2", 1, "ok", {}}, home.clock.now()));
  EXPECT_TRUE(reopened.verify());
  EXPECT_TRUE(log.verify());
}

TEST_F(AuditLogTest, AFirstEntryRolledBackWithItsKeyIsMadeAnew) {
  {
    auto transaction = store::Transaction::begin(home.db).value();
    ASSERT_TRUE(log.append({"0123456789abcdef", "xmtp_decryptV2", 1, "ok", {}}, home.clock.now()));
  }  // rolled back: the entry and the key it made are gone
  append(2);
  ASSERT_TRUE(log.verify()) << log.verify().error().message;
  AuditLog reopened(home.db, home.vault, home.rng);
  EXPECT_TRUE(reopened.verify());
  EXPECT_EQ(reopened.list(10).value().size(), 2u);
}

TEST_F(AuditLogTest, TheKeyIsStoredSealed) {
  append(1);
  auto select = home.db.prepare("SELECT sealed_key FROM keystore_audit_key");
  ASSERT_TRUE(select);
  ASSERT_EQ(select->step().value(), store::Statement::Step::kRow);
  EXPECT_EQ(select->column_blob(0).size(), 32 + store::kSealedOverhead);
  EXPECT_TRUE(home.vault.open_fixed<32>(select->column_blob(0), "keystore-audit-key"));
  EXPECT_FALSE(home.vault.open(select->column_blob(0), "another-label"));
}

TEST_F(AuditLogTest, AChangedFieldNamesItsEntry) {
  append(4);
  exec("UPDATE keystore_audit SET method = 'xmtp_getPublicKeyBundle' WHERE seq = 3");
  expect_broken_at(3);
}

TEST_F(AuditLogTest, EachFieldIsCovered) {
  append(3);
  for (const char* change : {"time_ms = time_ms + 1", "approval = ''", "items = 2", "outcome = '9106'", "topics = ''",
                             "mac = zeroblob(32)"}) {
    SCOPED_TRACE(change);
    exec("SAVEPOINT s");
    exec(std::string("UPDATE keystore_audit SET ") + change + " WHERE seq = 2");
    expect_broken_at(2);
    exec("ROLLBACK TO s");
    exec("RELEASE s");
    EXPECT_TRUE(log.verify());
  }
}

TEST_F(AuditLogTest, ADeletedEntryNamesItsSeq) {
  append(4);
  exec("DELETE FROM keystore_audit WHERE seq = 2");
  expect_broken_at(2);
}

TEST_F(AuditLogTest, DeletingTheNewestEntriesShows) {
  append(4);
  exec("DELETE FROM keystore_audit WHERE seq >= 3");
  expect_broken_at(3);
  exec("DELETE FROM keystore_audit_head");
  expect_broken_at(2);
}

TEST_F(AuditLogTest, ReorderedEntriesShow) {
  append(4);
  exec(
      "UPDATE keystore_audit SET seq = 100 WHERE seq = 2; UPDATE keystore_audit SET seq = 2 WHERE seq = 3; "
      "UPDATE keystore_audit SET seq = 3 WHERE seq = 100");
  expect_broken_at(2);
}

}  // namespace
}  // namespace keylink::keystore
