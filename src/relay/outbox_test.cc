#include "keylink/relay/outbox.h"

#include <gtest/gtest.h>

#include "keylink/store/transaction.h"
#include "testing/temp_dir.h"

namespace keylink::relay {
namespace {

using keylink::testing::TempDir;

OutgoingMessage make(const std::string& text, bool ephemeral = false) {
  return {.topic = std::string(64, 'a'), .message = text, .ttl = 600, .tag = 1108, .ephemeral = ephemeral};
}

TEST(RelayOutbox, AddListRemoveCount) {
  TempDir dir;
  auto db = store::Database::open(dir.file("home.db"));
  ASSERT_TRUE(db) << db.error().message;
  auto outbox = RelayOutbox::open(*db);
  ASSERT_TRUE(outbox) << outbox.error().message;
  EXPECT_EQ(outbox->count().value(), 0);

  const std::int64_t first = outbox->add(make("one")).value();
  const std::int64_t second = outbox->add(make("two", true)).value();
  const std::int64_t third = outbox->add(make("three")).value();
  EXPECT_LT(first, second);
  EXPECT_LT(second, third);
  EXPECT_EQ(outbox->count().value(), 3);

  auto rows = outbox->list().value();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].id, first);
  EXPECT_EQ(rows[0].message.message, "one");
  EXPECT_EQ(rows[0].message.topic, std::string(64, 'a'));
  EXPECT_EQ(rows[0].message.ttl, 600);
  EXPECT_EQ(rows[0].message.tag, 1108);
  EXPECT_FALSE(rows[0].message.ephemeral);
  EXPECT_TRUE(rows[1].message.ephemeral);
  EXPECT_EQ(rows[2].message.message, "three");

  ASSERT_TRUE(outbox->remove(second));
  rows = outbox->list().value();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].id, third);
  EXPECT_EQ(outbox->count().value(), 2);
  ASSERT_TRUE(outbox->remove(second));  // gone already: not an error
}

TEST(RelayOutbox, KeepsLocalOnly) {
  auto db = store::Database::open(":memory:");
  ASSERT_TRUE(db) << db.error().message;
  auto outbox = RelayOutbox::open(*db).value();
  OutgoingMessage message = make("link", true);
  message.local_only = true;
  ASSERT_TRUE(outbox.add(message));
  ASSERT_TRUE(outbox.add(make("plain")));
  auto rows = outbox.list().value();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_TRUE(rows[0].message.ephemeral);
  EXPECT_TRUE(rows[0].message.local_only);
  EXPECT_FALSE(rows[1].message.local_only);
}

// A home made before local_only existed: its table gains the column, its rows are kept and read as not
// local-only, and opening again changes nothing.
TEST(RelayOutbox, AddsLocalOnlyToATableMadeBeforeIt) {
  TempDir dir;
  {
    auto db = store::Database::open(dir.file("home.db")).value();
    ASSERT_TRUE(
        db.exec("CREATE TABLE relay_outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL,"
                " message TEXT NOT NULL, ttl INTEGER NOT NULL, tag INTEGER NOT NULL,"
                " ephemeral INTEGER NOT NULL DEFAULT 0);"
                "INSERT INTO relay_outbox (topic, message, ttl, tag, ephemeral) VALUES ('t', 'old', 300, 0, 1)"));
  }
  for (int open = 0; open < 2; ++open) {
    auto db = store::Database::open(dir.file("home.db"));
    ASSERT_TRUE(db);
    auto outbox = RelayOutbox::open(*db);
    ASSERT_TRUE(outbox) << outbox.error().message;
    if (open == 0) {
      OutgoingMessage message = make("new", true);
      message.local_only = true;
      ASSERT_TRUE(outbox->add(message));
    }
    auto rows = outbox->list().value();
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].message.message, "old");
    EXPECT_TRUE(rows[0].message.ephemeral);
    EXPECT_FALSE(rows[0].message.local_only);
    EXPECT_EQ(rows[1].message.message, "new");
    EXPECT_TRUE(rows[1].message.local_only);
  }
}

TEST(RelayOutbox, ListPagesInIdOrder) {
  TempDir dir;
  auto db = store::Database::open(dir.file("home.db"));
  ASSERT_TRUE(db);
  auto outbox = RelayOutbox::open(*db).value();
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(outbox.add(make("m" + std::to_string(i))).value());
  auto page = outbox.list(0, 2).value();
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[1].id, ids[1]);
  page = outbox.list(page.back().id, 2).value();
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].id, ids[2]);
  EXPECT_EQ(page[1].message.message, "m3");
  page = outbox.list(page.back().id, 2).value();
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].id, ids[4]);
}

TEST(RelayOutbox, RowsCommittedInTheCallersTransactionSurviveReopen) {
  TempDir dir;
  std::int64_t kept = 0;
  {
    auto db = store::Database::open(dir.file("home.db"));
    ASSERT_TRUE(db);
    auto outbox = RelayOutbox::open(*db).value();
    {
      auto tx = store::Transaction::begin(*db).value();
      kept = outbox.add(make("kept")).value();
      ASSERT_TRUE(tx.commit());
    }
    {
      auto tx = store::Transaction::begin(*db).value();
      ASSERT_TRUE(outbox.add(make("rolled back")));
    }  // no commit
  }
  auto db = store::Database::open(dir.file("home.db"));
  ASSERT_TRUE(db);
  auto outbox = RelayOutbox::open(*db).value();
  auto rows = outbox.list().value();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].id, kept);
  EXPECT_EQ(rows[0].message.message, "kept");
  // Ids keep growing past removed rows.
  ASSERT_TRUE(outbox.remove(kept));
  EXPECT_GT(outbox.add(make("next")).value(), kept);
}

}  // namespace
}  // namespace keylink::relay
