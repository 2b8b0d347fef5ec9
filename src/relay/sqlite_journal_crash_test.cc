// Real crashes: a child process appends to a journal and reports each append the journal called durable;
// the parent kills it with SIGKILL at a random point and checks that everything reported survived.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <utility>

#include "keylink/store/database.h"
#include "relay/sqlite_journal.h"
#include "testing/temp_dir.h"

namespace keylink::relay {
namespace {

using keylink::testing::TempDir;

constexpr int kInFlight = 256;  // appends the child keeps queued, so that commits group several

StoredMessage message_number(std::uint32_t i) {
  const std::string text = "message " + std::to_string(i) + std::string(200, 'x');
  return {
      .topic = "crash", .message = text, .published_at_ms = i, .expires_at_ms = std::int64_t{1} << 60, .seq = i + 1};
}

StoredAck ack_of(std::uint32_t i) { return {"did:key:crash", message_number(i).seq}; }

// The child: appends until killed. Its Poster runs completions at once, on the writer thread, which is
// where they write to the pipe. Never returns.
[[noreturn]] void append_until_killed(const std::string& path, Durability durability, int report_fd) {
  std::mutex mutex;
  std::condition_variable room;
  int in_flight = 0;
  auto journal = SqliteJournal::open(path, durability, [](std::function<void()> fn) { fn(); });
  if (!journal) _exit(2);
  for (std::uint32_t i = 0;; ++i) {
    {
      std::unique_lock lock(mutex);
      room.wait(lock, [&] { return in_flight < kInFlight; });
      ++in_flight;
    }
    std::vector<StoredAck> acks;
    if (i > 0) acks.push_back(ack_of(i - 1));
    (*journal)->append({message_number(i)}, std::move(acks), [&, i](Result<void> result) {
      if (!result || write(report_fd, &i, sizeof i) != sizeof i) _exit(3);
      std::lock_guard lock(mutex);
      --in_flight;
      room.notify_one();
    });
  }
}

bool read_index(int fd, std::uint32_t& index) {
  auto* out = reinterpret_cast<char*>(&index);
  for (std::size_t got = 0; got < sizeof index;) {
    const ssize_t n = read(fd, out + got, sizeof index - got);
    if (n <= 0) return false;
    got += static_cast<std::size_t>(n);
  }
  return true;
}

// Kills and reaps the child if the test ends early, so that no appender outlives a failed assertion.
struct ChildGuard {
  pid_t pid;
  ~ChildGuard() {
    if (pid > 0 && kill(pid, SIGKILL) == 0) waitpid(pid, nullptr, 0);
  }
};

void crash_and_check(Durability durability) {
  TempDir dir;
  const std::string path = dir.file("relay.db");
  const unsigned seed = std::random_device{}();
  const std::uint32_t kill_after = 200 + seed % 1800;
  SCOPED_TRACE("seed " + std::to_string(seed) + ": kill after " + std::to_string(kill_after) + " reports");

  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(fds[0]);
    append_until_killed(path, durability, fds[1]);
  }
  ChildGuard guard{child};
  close(fds[1]);
  std::set<std::uint32_t> durable;
  for (std::uint32_t index; durable.size() < kill_after && read_index(fds[0], index);) durable.insert(index);
  ASSERT_EQ(durable.size(), kill_after) << "the child stopped reporting";
  ASSERT_EQ(kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(std::exchange(guard.pid, 0), &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child status " << status;
  for (std::uint32_t index; read_index(fds[0], index);) durable.insert(index);  // reported before it died
  close(fds[0]);

  std::set<std::string> messages;
  std::set<std::uint64_t> acked;
  {
    auto journal = SqliteJournal::open(path, durability, [](std::function<void()> fn) { fn(); });
    ASSERT_TRUE(journal) << journal.error().message;
    ASSERT_TRUE((*journal)->load(
        0, [&](JournaledMessage m) { messages.insert(std::move(m.message.message)); },
        [&](StoredAck a) { acked.insert(a.seq); }));
  }
  for (std::uint32_t index : durable) {
    ASSERT_TRUE(messages.contains(message_number(index).message)) << "message " << index << " reported durable, lost";
    if (index > 0) {
      ASSERT_TRUE(acked.contains(ack_of(index - 1).seq)) << "ack " << index - 1 << " lost";
    }
  }
  auto db = store::Database::open(path);
  ASSERT_TRUE(db);
  auto check = db->prepare("PRAGMA integrity_check");
  ASSERT_EQ(check->step().value(), store::Statement::Step::kRow);
  EXPECT_EQ(check->column_text(0), "ok");
  std::printf("%zu appends reported durable before SIGKILL; %zu messages in the file\n", durable.size(),
              messages.size());
}

TEST(SqliteJournalCrash, KillNineLosesNothingReportedDurableAtProcessDurability) {
  crash_and_check(Durability::kProcess);
}

TEST(SqliteJournalCrash, KillNineLosesNothingReportedDurableAtPowerDurability) { crash_and_check(Durability::kPower); }

}  // namespace
}  // namespace keylink::relay
