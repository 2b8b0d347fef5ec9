#include "relay_bench_stats.h"

#include <sys/resource.h>
#include <unistd.h>
#include <algorithm>
#include <bit>
#include <fstream>
#include <sstream>

namespace keylink::bench {

std::size_t LatencyHistogram::index_of(std::uint64_t ns) {
  if (ns < (1u << kSubBits)) return static_cast<std::size_t>(ns);
  const int msb = static_cast<int>(std::bit_width(ns)) - 1;  // >= kSubBits
  const int shift = msb - kSubBits;
  const std::uint64_t sub = ns >> shift;  // in [64, 128)
  return (static_cast<std::size_t>(shift + 1) << kSubBits) + static_cast<std::size_t>(sub - (1u << kSubBits));
}

std::uint64_t LatencyHistogram::lower_bound_of(std::size_t index) {
  const std::size_t group = index >> kSubBits;
  if (group == 0) return index;
  const std::uint64_t sub = (1u << kSubBits) + (index & ((1u << kSubBits) - 1));
  return sub << (group - 1);
}

void LatencyHistogram::record(std::uint64_t ns) {
  ++counts_[index_of(ns)];
  ++count_;
  max_ = std::max(max_, ns);
}

void LatencyHistogram::clear() {
  counts_.fill(0);
  count_ = 0;
  max_ = 0;
}

std::uint64_t LatencyHistogram::quantile(double q) const {
  if (count_ == 0) return 0;
  const auto rank = static_cast<std::uint64_t>(q * static_cast<double>(count_ - 1)) + 1;
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      // The middle of the bucket: within half a bucket (0.8 %) of any value in it.
      const std::uint64_t low = lower_bound_of(i);
      const std::uint64_t high = i + 1 < kBuckets ? lower_bound_of(i + 1) : low;
      return std::min(max_, low + (high - low) / 2);
    }
  }
  return max_;
}

std::optional<double> process_cpu_seconds(pid_t pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(file, stat)) return std::nullopt;
  // proc(5): the command name (field 2) is in parentheses and may hold spaces; count from the last ')'.
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int n = 3; n <= 15 && fields >> field; ++n) {
    if (n == 14) utime = std::stoull(field);
    if (n == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double own_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

std::optional<std::uint64_t> process_rss_bytes(pid_t pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(file, line)) {
    if (line.starts_with("VmRSS:")) return std::stoull(line.substr(6)) * 1024;  // "VmRSS:   1234 kB"
  }
  return std::nullopt;
}

std::string process_name(pid_t pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  std::getline(file, name);
  return name;
}

CpuSample sample_cpu(const std::vector<pid_t>& server_pids) {
  CpuSample sample;
  sample.wall = std::chrono::steady_clock::now();
  sample.own_cpu = own_cpu_seconds();
  for (const pid_t pid : server_pids) sample.server_cpu.push_back(process_cpu_seconds(pid));
  return sample;
}

}  // namespace keylink::bench
