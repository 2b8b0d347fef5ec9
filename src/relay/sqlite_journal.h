// The Journal on one SQLite file, with group commit on a writer thread of its own.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "keylink/relay/journal.h"
#include "keylink/store/database.h"
#include "keylink/store/statement.h"

namespace keylink::relay {

// Durability maps to SQLite's synchronous setting in WAL mode: kPower is FULL (one fsync per group
// commit); kProcess and kNone are NORMAL (a commit is in the OS page cache: it survives kill -9; a
// power loss may lose the latest commits but cannot corrupt the file).
//
// The writer thread starts at the first append() or prune(). Each time it wakes it takes every append
// queued since its last commit, writes them in ONE transaction, then posts their completions in append
// order; between two groups it deletes at most kPruneChunk expired messages and their acks. A group whose
// commit fails completes each of its appends with the error. With kNone, append() posts the completion
// itself, at once; a later commit failure is then lost with the data.
//
// Thread-compatible like every Journal (one owner thread), except commits(), which any thread may read.
// The destructor commits every queued append and posts its completion, abandons an unfinished prune
// (the next prune() resumes it) and joins the writer. REQUIRES: `post` is callable and accepts posts
// until then.
class SqliteJournal final : public Journal {
 public:
  static constexpr int kPruneChunk = 5000;

  static Result<std::unique_ptr<SqliteJournal>> open(const std::string& path, Durability durability, Poster post);
  ~SqliteJournal() override;

  Result<std::uint64_t> load(std::int64_t now_ms, const std::function<void(JournaledMessage)>& on_message,
                             const std::function<void(StoredAck)>& on_ack) override;
  void append(std::vector<JournaledMessage> messages, std::vector<StoredAck> acks, Done done) override;
  void prune(std::int64_t now_ms) override;
  void flush() override;

  // Group commits so far: transactions that wrote appends (prune chunks are not counted).
  std::uint64_t commits() const noexcept override { return commits_.load(std::memory_order_relaxed); }

 private:
  struct Append {
    std::vector<JournaledMessage> messages;
    std::vector<StoredAck> acks;
    Done done;
  };
  struct Statements {
    store::Statement insert_message;
    store::Statement insert_ack;
    store::Statement prune_messages;
    store::Statement prune_acks;
  };

  SqliteJournal(store::Database db, Statements statements, Durability durability, Poster post);
  void start_writer();
  void run_writer();
  Result<void> write(const std::vector<Append>& group);
  Result<void> write_one(const Append& append);
  void complete(std::vector<Append>& group, const Result<void>& written);
  bool prune_chunk(std::int64_t now_ms);  // true while expired rows remain

  store::Database db_;     // the owner's in load(), the writer thread's afterwards
  Statements statements_;  // the writer thread's
  const Durability durability_;
  const Poster post_;

  std::mutex mutex_;
  std::condition_variable wake_;  // the writer waits for work
  std::condition_variable idle_;  // flush() waits for the writer
  std::vector<Append> queue_;
  std::optional<std::int64_t> prune_to_;
  bool busy_ = false;  // the writer holds a group or a prune chunk outside the lock
  bool stopping_ = false;
  std::atomic<std::uint64_t> commits_{0};
  std::thread writer_;  // last: started after everything it reads
};

}  // namespace keylink::relay
