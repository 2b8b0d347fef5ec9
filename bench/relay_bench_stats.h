// What relay_bench measures besides counting: latencies, and the CPU time and memory of a process.
#pragma once

#include <sys/types.h>
#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace keylink::bench {

// Latencies in nanoseconds, log-linear: 64 buckets per power of two, so a percentile is within 1.6 % of
// the true value. Recording is a few instructions and allocates nothing. Not thread-safe.
class LatencyHistogram {
 public:
  void record(std::uint64_t ns);
  void clear();
  std::uint64_t count() const { return count_; }
  std::uint64_t max() const { return max_; }
  // The value at quantile q in [0, 1], 0 when empty.
  std::uint64_t quantile(double q) const;

 private:
  static constexpr int kSubBits = 6;
  static constexpr std::size_t kBuckets = (64 - kSubBits + 1) << kSubBits;
  static std::size_t index_of(std::uint64_t ns);
  static std::uint64_t lower_bound_of(std::size_t index);

  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t max_ = 0;
};

// CPU seconds (user + system) used so far by a process, from /proc/<pid>/stat; nullopt when it is gone.
std::optional<double> process_cpu_seconds(pid_t pid);
// CPU seconds used so far by this process (getrusage).
double own_cpu_seconds();
// Resident memory of a process in bytes (VmRSS of /proc/<pid>/status); nullopt when it is gone.
std::optional<std::uint64_t> process_rss_bytes(pid_t pid);
// The command name of a process (/proc/<pid>/comm, e.g. "nats-server"); empty when it is gone.
std::string process_name(pid_t pid);

// One reading of the clocks a run compares: wall time, our CPU and that of each server process.
struct CpuSample {
  std::chrono::steady_clock::time_point wall;
  double own_cpu = 0;
  std::vector<std::optional<double>> server_cpu;  // one per server pid, in their order
};
CpuSample sample_cpu(const std::vector<pid_t>& server_pids);

}  // namespace keylink::bench
