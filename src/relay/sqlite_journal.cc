#include "relay/sqlite_journal.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>

#include "keylink/base/check.h"
#include "keylink/store/transaction.h"
#include "relay/journal_schema.h"

namespace keylink::relay {
namespace {

using store::Statement;

store::Synchronous synchronous_for(Durability durability) {
  // In WAL mode NORMAL writes each commit to the WAL (the OS has it: kill -9 loses nothing) and
  // fsyncs only at checkpoints; FULL also fsyncs the WAL at every commit.
  return durability == Durability::kPower ? store::Synchronous::kFull : store::Synchronous::kNormal;
}

JournaledMessage read_message(const Statement& row) {
  JournaledMessage journaled{StoredMessage{}, std::string(row.column_text(6))};
  StoredMessage& message = journaled.message;
  message.seq = static_cast<std::uint64_t>(row.column_int64(0));
  message.topic = row.column_text(1);
  message.message = as_chars(row.column_blob(2));
  message.tag = row.column_int64(3);
  message.published_at_ms = row.column_int64(4);
  message.expires_at_ms = row.column_int64(5);
  return journaled;
}

}  // namespace

Result<std::unique_ptr<SqliteJournal>> SqliteJournal::open(const std::string& path, Durability durability,
                                                           Poster post) {
  KEYLINK_CHECK(post != nullptr);
  auto db = store::Database::open(path, {.synchronous = synchronous_for(durability)});
  if (!db) return fail(db.error());
  if (auto schema = ensure_journal_schema(*db); !schema) return fail(schema.error());
  // Rarer checkpoints (64 MiB of WAL) write pages that many commits dirtied once, not once each.
  if (auto tuned = db->exec("PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = 16384"); !tuned) {
    return fail(tuned.error());
  }
  auto insert_message = db->prepare(
      "INSERT OR IGNORE INTO messages (seq, id, topic, message, tag, published_at, expires_at, publisher)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  auto insert_ack = db->prepare("INSERT OR IGNORE INTO acks (client, seq) VALUES (?1, ?2)");
  // SQLite's DELETE has no LIMIT unless built with an option Debian does not set: select the rows first.
  // A chunk is the same messages for both statements (one transaction, one order): their acks go first.
  constexpr std::string_view kExpiredChunk =
      " (SELECT seq FROM messages WHERE expires_at <= ?1 ORDER BY expires_at, seq LIMIT ?2)";
  auto prune_acks = db->prepare("DELETE FROM acks WHERE seq IN" + std::string(kExpiredChunk));
  auto prune_messages = db->prepare("DELETE FROM messages WHERE seq IN" + std::string(kExpiredChunk));
  for (auto* stmt : {&insert_message, &insert_ack, &prune_messages, &prune_acks}) {
    if (!*stmt) return fail(stmt->error());
  }
  Statements statements{std::move(*insert_message), std::move(*insert_ack), std::move(*prune_messages),
                        std::move(*prune_acks)};
  return std::unique_ptr<SqliteJournal>(
      new SqliteJournal(std::move(*db), std::move(statements), durability, std::move(post)));
}

SqliteJournal::SqliteJournal(store::Database db, Statements statements, Durability durability, Poster post)
    : db_(std::move(db)), statements_(std::move(statements)), durability_(durability), post_(std::move(post)) {}

SqliteJournal::~SqliteJournal() {
  if (!writer_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  writer_.join();
}

Result<std::uint64_t> SqliteJournal::load(std::int64_t now_ms, const std::function<void(JournaledMessage)>& on_message,
                                          const std::function<void(StoredAck)>& on_ack) {
  KEYLINK_CHECK(!writer_.joinable());  // REQUIRES: before any append or prune
  // One read transaction: messages and acks from the same moment.
  auto txn = store::Transaction::begin(db_, store::Transaction::Mode::kDeferred);
  if (!txn) return fail(txn.error());
  auto messages = db_.prepare(
      "SELECT seq, topic, message, tag, published_at, expires_at, publisher FROM messages WHERE expires_at > ?1"
      " ORDER BY seq");
  if (!messages) return fail(messages.error());
  messages->bind_int64(1, now_ms);
  for (auto step = messages->step(); step != Statement::Step::kDone; step = messages->step()) {
    if (!step) return fail(step.error());
    on_message(read_message(*messages));
  }
  auto acks =
      db_.prepare("SELECT a.client, a.seq FROM acks a JOIN messages m ON m.seq = a.seq WHERE m.expires_at > ?1");
  if (!acks) return fail(acks.error());
  acks->bind_int64(1, now_ms);
  for (auto step = acks->step(); step != Statement::Step::kDone; step = acks->step()) {
    if (!step) return fail(step.error());
    on_ack({std::string(acks->column_text(0)), static_cast<std::uint64_t>(acks->column_int64(1))});
  }
  auto last = db_.prepare(
      "SELECT max(coalesce((SELECT max(seq) FROM messages), 0),"
      " coalesce((SELECT max(seq) FROM acks), 0))");
  if (!last) return fail(last.error());
  if (auto step = last->step(); !step) return fail(step.error());
  const auto last_seq = static_cast<std::uint64_t>(last->column_int64(0));
  if (auto committed = txn->commit(); !committed) return fail(committed.error());
  return last_seq;
}

void SqliteJournal::append(std::vector<JournaledMessage> messages, std::vector<StoredAck> acks, Done done) {
  if (durability_ == Durability::kNone && done) {
    post_([done = std::move(done)] { done({}); });
  }
  start_writer();
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(Append{std::move(messages), std::move(acks), std::move(done)});
  }
  wake_.notify_one();
}

void SqliteJournal::prune(std::int64_t now_ms) {
  start_writer();
  {
    std::lock_guard lock(mutex_);
    prune_to_ = std::max(prune_to_.value_or(now_ms), now_ms);
  }
  wake_.notify_one();
}

void SqliteJournal::flush() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return queue_.empty() && !prune_to_ && !busy_; });
}

void SqliteJournal::start_writer() {
  // Only the owner thread calls this, so the check needs no lock.
  if (!writer_.joinable()) writer_ = std::thread([this] { run_writer(); });
}

void SqliteJournal::run_writer() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return !queue_.empty() || prune_to_ || stopping_; });
    if (queue_.empty() && stopping_) break;
    // Everything queued so far is one group: the appends that arrived during the last commit.
    std::vector<Append> group = std::exchange(queue_, {});
    const bool pruning = prune_to_ && !stopping_;
    const std::int64_t prune_to = prune_to_.value_or(0);
    busy_ = true;
    lock.unlock();
    if (!group.empty()) complete(group, write(group));
    const bool pruned = pruning && !prune_chunk(prune_to);
    lock.lock();
    if (pruned && prune_to_ == prune_to) prune_to_.reset();  // unless prune() asked for more meanwhile
    busy_ = false;
    if (queue_.empty() && !prune_to_) idle_.notify_all();
  }
}

Result<void> SqliteJournal::write(const std::vector<Append>& group) {
  auto txn = store::Transaction::begin(db_);
  if (!txn) return fail(context("relay journal", txn.error()));
  for (const Append& append : group) {
    if (auto written = write_one(append); !written) return fail(context("relay journal", written.error()));
  }
  if (auto committed = txn->commit(); !committed) return fail(context("relay journal", committed.error()));
  commits_.fetch_add(1, std::memory_order_relaxed);
  return {};
}

Result<void> SqliteJournal::write_one(const Append& append) {
  // Bound in place: every value outlives the run that reads it, and each run binds all of them anew.
  for (const JournaledMessage& journaled : append.messages) {
    const StoredMessage& message = journaled.message;
    auto& insert = statements_.insert_message;
    const MessageId id = message_id(message.topic, message.message);
    insert.bind_int64(1, static_cast<std::int64_t>(message.seq)).bind_blob_in_place(2, id);
    insert.bind_text_in_place(3, message.topic).bind_blob_in_place(4, as_bytes(message.message));
    insert.bind_int64(5, message.tag);
    insert.bind_int64(6, message.published_at_ms).bind_int64(7, message.expires_at_ms);
    insert.bind_text_in_place(8, journaled.publisher);
    if (auto ran = insert.run(); !ran) return ran;
  }
  for (const StoredAck& ack : append.acks) {
    auto& insert = statements_.insert_ack;
    insert.bind_text_in_place(1, ack.client_id).bind_int64(2, static_cast<std::int64_t>(ack.seq));
    if (auto ran = insert.run(); !ran) return ran;
  }
  return {};
}

void SqliteJournal::complete(std::vector<Append>& group, const Result<void>& written) {
  if (durability_ == Durability::kNone) return;  // append() completed them already
  for (Append& append : group) {
    if (append.done) post_([done = std::move(append.done), written] { done(written); });
  }
}

bool SqliteJournal::prune_chunk(std::int64_t now_ms) {
  auto txn = store::Transaction::begin(db_);
  if (!txn) return false;  // the next prune() retries
  for (Statement* prune : {&statements_.prune_acks, &statements_.prune_messages}) {
    if (!prune->bind_int64(1, now_ms).bind_int64(2, kPruneChunk).run()) return false;
  }
  const bool more = db_.changes() == kPruneChunk;  // messages deleted, by the last statement
  return txn->commit() && more;
}

Result<std::unique_ptr<Journal>> open_sqlite_journal(const std::string& path, Durability durability, Poster post) {
  auto journal = SqliteJournal::open(path, durability, std::move(post));
  if (!journal) return fail(journal.error());
  return std::unique_ptr<Journal>(std::move(*journal));
}

}  // namespace keylink::relay
