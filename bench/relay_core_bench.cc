// The relay's own work per message, sockets aside: RelayCore in memory (--store memory) with one
// publisher and one subscriber whose frames go nowhere. Each iteration is one message as
// bench/relay_bench sends it (256 bytes of text on a 64-character topic, every message distinct):
// irn_publish in, its result and its irn_subscription out, the subscriber's ack in. The relay keeps each
// message for its ttl, as it does at peak, so the figure includes the growth of its store. The frames
// are made once and only their digits change, so that the loop itself allocates nothing. The argument
// is the number of messages per socket read, each way: 1, or about what the relay reads at once at peak.
#include <benchmark/benchmark.h>

#include <charconv>
#include <string>
#include <vector>

#include "keylink/base/check.h"
#include "keylink/base/clock.h"
#include "keylink/relay/relay_core.h"

namespace {

using namespace keylink;

constexpr std::size_t kDigits = 19;                            // ids and sequence numbers, zero-padded in place
constexpr std::uint64_t kFirstId = 1'000'000'000'000'000'000;  // publish ids of 19 digits: no leading zero

// Writes value as kDigits zero-padded digits at `at`.
void put_digits(char* at, std::uint64_t value) {
  for (std::size_t i = kDigits; i-- > 0; value /= 10) at[i] = static_cast<char>('0' + value % 10);
}

// A peer whose frames go nowhere; it keeps the ids of the deliveries, to ack them.
class NullPeer final : public relay::Peer {
 public:
  using Peer::Peer;
  void send(std::string_view frame) override {
    constexpr std::string_view kHead = "{\"id\":";
    if (frame.starts_with(kHead) && frame.find("irn_subscription") != std::string_view::npos) {
      std::from_chars(frame.data() + kHead.size(), frame.data() + frame.size(), deliveries.emplace_back());
    }
  }
  void close(std::uint16_t, std::string_view) override { KEYLINK_CHECK(false); }
  std::vector<std::uint64_t> deliveries;
};

void BM_PublishDeliverAck(benchmark::State& state) {
  relay::Limits limits;
  limits.publishes_per_second = 0;
  SystemClock clock;
  relay::RelayCore core(limits, clock, nullptr);
  NullPeer publisher("did:key:publisher"), subscriber("did:key:subscriber");
  core.attach(publisher);
  core.attach(subscriber);
  const std::string topic(64, 't');
  core.on_frame(subscriber, R"({"id":1,"jsonrpc":"2.0","method":"irn_subscribe","params":{"topic":")" + topic + "\"}}");
  const std::string id_head = R"({"id":)";
  std::string publish = id_head + std::string(kDigits, '0') +
                        R"(,"jsonrpc":"2.0","method":"irn_publish","params":{"topic":")" + topic + R"(","message":")" +
                        std::string(256, 'm') + R"(","ttl":300,"tag":1000}})";
  const std::size_t message_at = publish.find("mmm");
  std::string ack = id_head + std::string(kDigits, '0') + R"(,"jsonrpc":"2.0","result":true})";
  const auto per_read = static_cast<std::uint64_t>(state.range(0));
  subscriber.deliveries.reserve(per_read);
  std::uint64_t n = 0;
  for (auto _ : state) {
    for (std::uint64_t i = 0; i < per_read; ++i) {
      ++n;
      put_digits(publish.data() + id_head.size(), kFirstId + n);
      put_digits(publish.data() + message_at, n);  // every message distinct: the relay keeps each once
      core.on_frame(publisher, publish);
    }
    core.on_read_end(publisher);
    // Delivery ids have fewer digits, and JSON no leading zeros: the ack's id is rewritten whole.
    for (const std::uint64_t delivery : subscriber.deliveries) {
      char digits[24];
      const char* end = std::to_chars(digits, digits + sizeof digits, delivery).ptr;
      ack.replace(id_head.size(), ack.find(',') - id_head.size(), digits, static_cast<std::size_t>(end - digits));
      core.on_frame(subscriber, ack);
    }
    core.on_read_end(subscriber);
    subscriber.deliveries.clear();
  }
  KEYLINK_CHECK(core.metrics().acks == n);
  state.SetItemsProcessed(static_cast<std::int64_t>(n));
}
BENCHMARK(BM_PublishDeliverAck)->Arg(1)->Iterations(1'000'000);
BENCHMARK(BM_PublishDeliverAck)->Arg(64)->Iterations(1'000'000 / 64);

}  // namespace

BENCHMARK_MAIN();
