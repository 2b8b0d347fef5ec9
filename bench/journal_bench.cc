// Append throughput of the relay's SQLite journal: 256-byte messages, one append each, with up to
// `window` appends in flight (the relay answers a publish when its append completes; 1,000 in flight
// matches the relay benchmarks). The writer groups whatever arrived during its last commit, so the
// msgs_per_commit counter shows how much group commit buys at each durability.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>

#include "keylink/base/check.h"
#include "relay/sqlite_journal.h"

namespace {

using namespace keylink;
using relay::Durability;

constexpr std::size_t kMessageSize = 256;

std::string temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "keylink-bench-XXXXXX").string();
  KEYLINK_CHECK(mkdtemp(pattern.data()) != nullptr);
  return pattern;
}

// Counts appends in flight; the completion (run directly on the writer thread) releases one.
class Window {
 public:
  explicit Window(int size) : size_(size) {}
  void acquire() {
    std::unique_lock lock(mutex_);
    room_.wait(lock, [this] { return in_flight_ < size_; });
    ++in_flight_;
  }
  void release() {
    std::lock_guard lock(mutex_);
    --in_flight_;
    room_.notify_one();
  }

 private:
  std::mutex mutex_;
  std::condition_variable room_;
  int in_flight_ = 0;
  const int size_;
};

void BM_JournalAppend(benchmark::State& state) {
  const auto durability = static_cast<Durability>(state.range(0));
  const std::string dir = temp_dir();
  Window window(static_cast<int>(state.range(1)));
  auto journal = relay::SqliteJournal::open(dir + "/relay.db", durability, [](std::function<void()> fn) { fn(); });
  KEYLINK_CHECK(journal.has_value());
  std::string text(kMessageSize, 'm');
  std::uint64_t n = 0;
  for (auto _ : state) {
    const std::uint64_t seq = ++n;
    text.replace(0, 20, std::to_string(seq + 10'000'000'000'000'000'000ULL));
    relay::StoredMessage message{
        .topic = "bench", .message = text, .published_at_ms = 1, .expires_at_ms = std::int64_t{1} << 60, .seq = seq};
    window.acquire();
    (*journal)->append({std::move(message)}, {}, [&window](Result<void> result) {
      KEYLINK_CHECK(result.has_value());
      window.release();
    });
  }
  (*journal)->flush();  // untimed: at most `window` appends, next to the many thousands timed
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  const double commits = static_cast<double>((*journal)->commits());
  state.counters["commits"] = commits;
  state.counters["msgs_per_commit"] = static_cast<double>(state.iterations()) / std::max(commits, 1.0);
  journal->reset();
  std::filesystem::remove_all(dir);
}

BENCHMARK(BM_JournalAppend)
    ->ArgNames({"durability", "window"})
    ->ArgsProduct({{static_cast<int>(Durability::kProcess), static_cast<int>(Durability::kPower)}, {1, 1000}})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
