#include "relay/sqlite_journal.h"

#include <gtest/gtest.h>

#include <fstream>
#include <future>
#include <map>

#include "keylink/store/database.h"
#include "relay/journal_schema.h"
#include "testing/post_queue.h"
#include "testing/temp_dir.h"

namespace keylink::relay {

// For test names: "GetParam() = kPower", not "4-byte object <02-00 00-00>".
void PrintTo(Durability durability, std::ostream* out) {
  constexpr const char* kNames[] = {"kNone", "kProcess", "kPower"};
  *out << kNames[static_cast<int>(durability)];
}

namespace {

using keylink::testing::PostQueue;
using keylink::testing::TempDir;

constexpr std::int64_t kForever = std::int64_t{1} << 60;

// Each made message has the next seq, as the relay gives them.
StoredMessage make_message(const std::string& topic, const std::string& text, std::int64_t published_at,
                           std::int64_t expires_at = kForever) {
  static std::uint64_t next_seq = 1;
  return {.topic = topic,
          .message = text,
          .tag = 1100,
          .published_at_ms = published_at,
          .expires_at_ms = expires_at,
          .seq = next_seq++};
}

struct Loaded {
  std::vector<StoredMessage> messages;
  std::vector<std::string> publishers;  // of each message
  std::vector<StoredAck> acks;
};

Loaded load(const std::string& path, std::int64_t now_ms = 0) {
  PostQueue loop;
  auto journal = SqliteJournal::open(path, Durability::kProcess, loop.poster());
  EXPECT_TRUE(journal) << journal.error().message;
  Loaded loaded;
  if (!journal) return loaded;
  auto read = (*journal)->load(
      now_ms,
      [&](JournaledMessage m) {
        loaded.messages.push_back(std::move(m.message));
        loaded.publishers.push_back(std::move(m.publisher));
      },
      [&](StoredAck a) { loaded.acks.push_back(std::move(a)); });
  EXPECT_TRUE(read) << read.error().message;
  return loaded;
}

// The id column of the messages table, in seq order.
std::vector<MessageId> stored_ids(const std::string& path) {
  auto db = store::Database::open(path);
  EXPECT_TRUE(db) << db.error().message;
  std::vector<MessageId> ids;
  if (!db) return ids;
  auto select = db->prepare("SELECT id FROM messages ORDER BY seq");
  while (select && select->step() == store::Statement::Step::kRow) {
    const ByteView id = select->column_blob(0);
    EXPECT_EQ(id.size(), 32u);
    ids.emplace_back();
    std::copy_n(id.begin(), std::min(id.size(), ids.back().size()), ids.back().begin());
  }
  return ids;
}

class SqliteJournalTest : public ::testing::TestWithParam<Durability> {
 protected:
  std::unique_ptr<SqliteJournal> open() {
    auto journal = SqliteJournal::open(path_, GetParam(), loop_.poster());
    EXPECT_TRUE(journal) << journal.error().message;
    return journal ? std::move(*journal) : nullptr;
  }

  TempDir dir_;
  std::string path_ = dir_.file("relay.db");
  PostQueue loop_;
};

TEST(SqliteJournal, MessageIdSeparatesTopicFromMessage) {
  EXPECT_NE(message_id("ab", "c"), message_id("a", "bc"));
  EXPECT_EQ(message_id("t", "m"), message_id("t", "m"));
}

TEST_P(SqliteJournalTest, AppendedMessagesLoadAfterReopenInSeqOrder) {
  const StoredMessage first = make_message("topic-a", std::string("bytes\0\xff", 7), 1000, 9000);
  const StoredMessage second = make_message("topic-b", "hello", 500, 8000);
  {
    auto journal = open();
    ASSERT_TRUE(journal->load(
        0, [](JournaledMessage) { FAIL(); }, [](StoredAck) { FAIL(); }));
    journal->append({{first, "did:key:publisher"}}, {}, {});
    journal->append({second}, {}, {});
  }
  const Loaded loaded = load(path_);
  ASSERT_EQ(loaded.messages.size(), 2u);
  for (const auto& [got, want] : {std::pair{loaded.messages[0], first}, std::pair{loaded.messages[1], second}}) {
    EXPECT_EQ(got.seq, want.seq);
    EXPECT_EQ(got.topic, want.topic);
    EXPECT_EQ(got.message, want.message);
    EXPECT_EQ(got.tag, want.tag);
    EXPECT_EQ(got.published_at_ms, want.published_at_ms);
    EXPECT_EQ(got.expires_at_ms, want.expires_at_ms);
  }
  EXPECT_EQ(loaded.publishers, (std::vector<std::string>{"did:key:publisher", ""}));
  EXPECT_EQ(stored_ids(path_),
            (std::vector<MessageId>{message_id(first.topic, first.message), message_id(second.topic, second.message)}));
}

TEST_P(SqliteJournalTest, ADuplicateSeqIsStoredOnce) {
  auto journal = open();
  const StoredMessage message = make_message("t", "same", 1);
  journal->append({message, message}, {}, {});
  journal->append({message}, {}, {});
  journal.reset();
  EXPECT_EQ(load(path_).messages.size(), 1u);
}

TEST_P(SqliteJournalTest, AcksRoundTripOncePerClientAndMessage) {
  const StoredMessage message = make_message("t", "acked", 1);
  auto journal = open();
  journal->append({message}, {{"did:key:a", message.seq}, {"did:key:b", message.seq}}, {});
  journal->append({}, {{"did:key:a", message.seq}}, {});
  journal->append({}, {{"did:key:c", message.seq + 1000}}, {});  // of no message: never loaded
  journal.reset();
  const Loaded loaded = load(path_);
  std::map<std::string, std::uint64_t> by_client;
  for (const StoredAck& ack : loaded.acks) by_client[ack.client_id] = ack.seq;
  EXPECT_EQ(by_client, (std::map<std::string, std::uint64_t>{{"did:key:a", message.seq}, {"did:key:b", message.seq}}));
}

TEST_P(SqliteJournalTest, LoadSkipsWhatExpiredByNow) {
  auto journal = open();
  const StoredMessage old = make_message("t", "old", 1, 100), fresh = make_message("t", "new", 2, 200);
  journal->append({old, fresh}, {{"c", old.seq}, {"c", fresh.seq}}, {});
  journal.reset();
  const Loaded loaded = load(path_, 100);
  ASSERT_EQ(loaded.messages.size(), 1u);
  EXPECT_EQ(loaded.messages[0].message, "new");
  ASSERT_EQ(loaded.acks.size(), 1u);
  EXPECT_EQ(loaded.acks[0].seq, fresh.seq);
}

// A new message must never take the seq of a row still in the file: expired rows and stale acks count.
TEST_P(SqliteJournalTest, LoadReturnsTheLargestSeqOfAnyRow) {
  const StoredMessage kept = make_message("t", "kept", 1, 1000), expired = make_message("t", "gone", 2, 100);
  auto journal = open();
  journal->append({kept, expired}, {}, {});
  journal.reset();
  journal = open();
  auto last = journal->load(
      500, [](JournaledMessage) {}, [](StoredAck) {});
  ASSERT_TRUE(last) << last.error().message;
  EXPECT_EQ(*last, expired.seq);
  journal->append({}, {{"c", expired.seq + 5}}, {});
  journal.reset();
  journal = open();
  last = journal->load(
      500, [](JournaledMessage) {}, [](StoredAck) {});
  ASSERT_TRUE(last) << last.error().message;
  EXPECT_EQ(*last, expired.seq + 5);
}

TEST_P(SqliteJournalTest, PruneRemovesExpiredRowsInChunksAndKeepsTheRest) {
  constexpr int kExpired = SqliteJournal::kPruneChunk * 2 + 17;  // three chunks
  std::vector<JournaledMessage> messages;
  std::vector<StoredAck> acks;
  for (int i = 0; i < kExpired; ++i) {
    const StoredMessage& m =
        messages.emplace_back(make_message("t", "expired " + std::to_string(i), i, 1000 + i % 7)).message;
    acks.push_back({"c", m.seq});
  }
  acks.push_back({"c", messages.emplace_back(make_message("t", "kept", 1, 2000)).message.seq});
  auto journal = open();
  journal->append(std::move(messages), std::move(acks), {});
  journal->prune(1006);
  journal->flush();
  journal.reset();

  store::Database db = std::move(store::Database::open(path_).value());
  auto count = db.prepare("SELECT (SELECT count(*) FROM messages), (SELECT count(*) FROM acks)");
  ASSERT_EQ(count->step().value(), store::Statement::Step::kRow);
  EXPECT_EQ(count->column_int64(0), 1);
  EXPECT_EQ(count->column_int64(1), 1);
  const Loaded loaded = load(path_);
  ASSERT_EQ(loaded.messages.size(), 1u);
  EXPECT_EQ(loaded.messages[0].message, "kept");
}

TEST_P(SqliteJournalTest, DoneRunsExactlyOncePerAppendInOrder) {
  auto journal = open();
  ASSERT_TRUE(journal->load(
      0, [](JournaledMessage) {}, [](StoredAck) {}));
  std::vector<int> completed;
  for (int i = 0; i < 1000; ++i) {
    std::vector<JournaledMessage> messages;
    if (i % 3 != 0) messages.emplace_back(make_message("t", std::to_string(i), i));
    journal->append(std::move(messages), {}, [&completed, i](Result<void> result) {
      EXPECT_TRUE(result) << result.error().message;
      completed.push_back(i);
    });
    if (i % 100 == 0) loop_.drain();
  }
  journal->append({}, {}, {});  // an empty Done is allowed
  journal->flush();
  loop_.drain();
  ASSERT_EQ(completed.size(), 1000u);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(completed[i], i);
  journal.reset();
  EXPECT_EQ(loop_.drain(), 0);  // nothing posted twice
}

std::string durability_name(const ::testing::TestParamInfo<Durability>& param) {
  switch (param.param) {
    case Durability::kNone: return "None";
    case Durability::kProcess: return "Process";
    case Durability::kPower: return "Power";
  }
  return "Unknown";
}

INSTANTIATE_TEST_SUITE_P(SqliteJournal, SqliteJournalTest,
                         ::testing::Values(Durability::kNone, Durability::kProcess, Durability::kPower),
                         durability_name);

// Holds the writer in its first post until released, so that everything appended meanwhile must go into
// one group: the grouping is proven without any timing.
TEST(SqliteJournal, AppendsQueuedDuringACommitShareTheNextCommit) {
  TempDir dir;
  PostQueue loop;
  std::promise<void> reached, release;
  std::shared_future<void> released = release.get_future().share();
  bool first = true;
  auto journal = SqliteJournal::open(dir.file("relay.db"), Durability::kPower, [&](std::function<void()> fn) {
    if (std::exchange(first, false)) {
      reached.set_value();
      released.wait();
    }
    loop.post(std::move(fn));
  });
  ASSERT_TRUE(journal) << journal.error().message;
  int completed = 0;
  auto count = [&completed](Result<void> result) { completed += result ? 1 : 0; };
  (*journal)->append({make_message("t", "first", 0)}, {}, count);
  reached.get_future().wait();
  for (int i = 1; i < 10000; ++i) (*journal)->append({make_message("t", std::to_string(i), i)}, {}, count);
  release.set_value();
  (*journal)->flush();
  loop.drain();
  EXPECT_EQ(completed, 10000);
  EXPECT_EQ((*journal)->commits(), 2u);
}

TEST(SqliteJournal, AFailedCommitCompletesEveryAppendWithTheError) {
  TempDir dir;
  PostQueue loop;
  auto journal = SqliteJournal::open(dir.file("relay.db"), Durability::kProcess, loop.poster());
  ASSERT_TRUE(journal);
  {
    // Break the table under the journal, as a full disk would: a trigger that rejects every insert.
    auto db = store::Database::open(dir.file("relay.db"));
    ASSERT_TRUE(
        db->exec("CREATE TRIGGER no_inserts BEFORE INSERT ON messages BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"));
  }
  std::vector<std::string> errors;
  for (int i = 0; i < 3; ++i) {
    (*journal)->append({make_message("t", std::to_string(i), i)}, {},
                       [&errors](Result<void> result) { errors.push_back(result ? "ok" : result.error().message); });
  }
  (*journal)->flush();
  loop.drain();
  ASSERT_EQ(errors.size(), 3u);
  for (const std::string& error : errors) EXPECT_NE(error.find("disk on fire"), std::string::npos) << error;
}

TEST(SqliteJournal, AFileOfGarbageFailsToOpenNamingTheFile) {
  TempDir dir;
  const std::string path = dir.file("garbage.db");
  std::ofstream(path) << std::string(10000, '\x5a');
  auto journal = open_sqlite_journal(path, Durability::kPower, [](std::function<void()>) {});
  ASSERT_FALSE(journal);
  EXPECT_EQ(journal.error().code, store::Errc::kCorrupt);
  EXPECT_NE(journal.error().message.find(path), std::string::npos) << journal.error().message;
  EXPECT_NE(journal.error().message.find("not a database"), std::string::npos) << journal.error().message;
}

TEST(SqliteJournal, AnotherProgramsDatabaseIsNotAJournal) {
  TempDir dir;
  const std::string path = dir.file("other.db");
  ASSERT_TRUE(store::Database::open(path)->exec("CREATE TABLE contacts (name TEXT)"));
  auto journal = open_sqlite_journal(path, Durability::kPower, [](std::function<void()>) {});
  ASSERT_FALSE(journal);
  EXPECT_EQ(journal.error().code, store::Errc::kCorrupt);
  EXPECT_NE(journal.error().message.find("not a keylink relay store"), std::string::npos);
}

TEST(SqliteJournal, ANewerSchemaIsIncompatible) {
  TempDir dir;
  const std::string path = dir.file("relay.db");
  ASSERT_TRUE(open_sqlite_journal(path, Durability::kPower, [](std::function<void()>) {}));
  ASSERT_TRUE(store::Database::open(path)->set_user_version(99));
  auto journal = open_sqlite_journal(path, Durability::kPower, [](std::function<void()>) {});
  ASSERT_FALSE(journal);
  EXPECT_EQ(journal.error().code, store::Errc::kIncompatible);
  EXPECT_NE(journal.error().message.find("schema 99"), std::string::npos) << journal.error().message;
}

// A store written by the first schema (messages keyed by id, acks by client and id) opens with its
// messages and acks intact, each message numbered by its old rowid.
TEST(SqliteJournal, AVersionOneStoreIsMigrated) {
  TempDir dir;
  const std::string path = dir.file("relay.db");
  const MessageId first = message_id("t", "one"), second = message_id("t", "two");
  {
    auto db = store::Database::open(path);
    ASSERT_TRUE(db->exec(R"sql(
      CREATE TABLE messages (id BLOB PRIMARY KEY NOT NULL, topic TEXT NOT NULL, message BLOB NOT NULL,
        tag INTEGER NOT NULL, published_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
      CREATE INDEX messages_by_expiry ON messages (expires_at);
      CREATE TABLE acks (client TEXT NOT NULL, id BLOB NOT NULL, expires_at INTEGER NOT NULL,
        PRIMARY KEY (client, id)) WITHOUT ROWID;
      CREATE INDEX acks_by_expiry ON acks (expires_at);
      PRAGMA application_id = 1263293017;
      PRAGMA user_version = 1;
    )sql"));
    auto insert = db->prepare("INSERT INTO messages VALUES (?1, 't', ?2, 1100, 10, 5000)");
    for (const auto& [id, text] : {std::pair{first, "one"}, std::pair{second, "two"}}) {
      ASSERT_TRUE(insert->bind_blob(1, id).bind_blob(2, as_bytes(std::string_view(text))).run());
    }
    auto ack = db->prepare("INSERT INTO acks VALUES ('did:key:a', ?1, 5000)");
    ASSERT_TRUE(ack->bind_blob(1, second).run());
  }
  const Loaded loaded = load(path);
  ASSERT_EQ(loaded.messages.size(), 2u);
  EXPECT_EQ(loaded.messages[0].message, "one");
  EXPECT_EQ(loaded.messages[1].message, "two");
  EXPECT_EQ(stored_ids(path), (std::vector<MessageId>{first, second}));
  ASSERT_EQ(loaded.acks.size(), 1u);
  EXPECT_EQ(loaded.acks[0].client_id, "did:key:a");
  EXPECT_EQ(loaded.acks[0].seq, loaded.messages[1].seq);
  EXPECT_EQ(loaded.publishers, (std::vector<std::string>{"", ""}));
  EXPECT_EQ(store::Database::open(path)->user_version().value(), kJournalSchemaVersion);
}

// A store of the second schema (each publisher's ack a row of acks, acks pruned by an expiry of their
// own) opens with its rows as they were: its messages have no publisher, the publisher's ack rows still
// count, and an ack whose message is gone is deleted (it would never be pruned now).
TEST(SqliteJournal, AVersionTwoStoreIsMigrated) {
  TempDir dir;
  const std::string path = dir.file("relay.db");
  {
    auto db = store::Database::open(path);
    ASSERT_TRUE(db->exec(R"sql(
      CREATE TABLE messages (seq INTEGER PRIMARY KEY, id BLOB NOT NULL, topic TEXT NOT NULL,
        message BLOB NOT NULL, tag INTEGER NOT NULL, published_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
      CREATE INDEX messages_by_expiry ON messages (expires_at);
      CREATE TABLE acks (client TEXT NOT NULL, seq INTEGER NOT NULL, expires_at INTEGER NOT NULL,
        PRIMARY KEY (seq, client)) WITHOUT ROWID;
      CREATE INDEX acks_by_expiry ON acks (expires_at);
      INSERT INTO messages VALUES (7, zeroblob(32), 't', CAST('seven' AS BLOB), 1100, 10, 5000);
      INSERT INTO acks VALUES ('did:key:publisher', 7, 5000);
      INSERT INTO acks VALUES ('did:key:other', 6, 5000);  -- its message pruned already
      PRAGMA application_id = 1263293017;
      PRAGMA user_version = 2;
    )sql"));
  }
  const Loaded loaded = load(path);
  ASSERT_EQ(loaded.messages.size(), 1u);
  EXPECT_EQ(loaded.messages[0].seq, 7u);
  EXPECT_EQ(loaded.messages[0].message, "seven");
  EXPECT_EQ(loaded.publishers, std::vector<std::string>{""});
  ASSERT_EQ(loaded.acks.size(), 1u);
  EXPECT_EQ(loaded.acks[0].client_id, "did:key:publisher");
  auto db = store::Database::open(path);
  EXPECT_EQ(db->user_version().value(), kJournalSchemaVersion);
  auto acks = db->prepare("SELECT count(*) FROM acks");
  ASSERT_EQ(acks->step().value(), store::Statement::Step::kRow);
  EXPECT_EQ(acks->column_int64(0), 1);
  // And it takes new rows as a version 3 store does.
  {
    PostQueue loop;
    auto journal = SqliteJournal::open(path, Durability::kProcess, loop.poster());
    ASSERT_TRUE(journal) << journal.error().message;
    StoredMessage eight = make_message("t", "eight", 20);
    eight.seq = 8;  // after the store's largest, as the relay numbers it
    (*journal)->append({{std::move(eight), "did:key:publisher"}}, {}, {});
  }
  EXPECT_EQ(load(path).publishers, (std::vector<std::string>{"", "did:key:publisher"}));
}

}  // namespace
}  // namespace keylink::relay
