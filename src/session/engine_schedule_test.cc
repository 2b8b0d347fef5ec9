// The Sign engine under random schedules of duplicates, reorders and restarts: seeds 1..50, each
// printed on failure.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine_harness.h"
#include "keylink/base/encoding.h"
#include "keylink/session/engine.h"

#include "engine_adversarial.h"

namespace keylink::session {
namespace {

using namespace adversarial;
using testing::Network;
using testing::Party;
using namespace std::chrono_literals;

// ---- Random schedules.

class Scheduler {
 public:
  explicit Scheduler(std::uint64_t seed) : rng_(seed) {}
  std::uint32_t below(std::uint32_t n) {
    auto bytes = rng_.bytes<4>();
    const std::uint32_t value =
        (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) | (std::uint32_t{bytes[2]} << 8) | bytes[3];
    return value % n;
  }
  bool chance(std::uint32_t percent) { return below(100) < percent; }

 private:
  FixedRng rng_;
};

// The apps of both sides: the wallet approves what it is asked and answers every request; once settled,
// the dApp sends three requests and a ping, and the wallet emits an event, updates and extends.
struct Apps {
  std::size_t dapp_seen = 0, wallet_seen = 0;
  std::set<std::int64_t> sent;
  std::optional<std::int64_t> ping;

  void react(World& w) {
    for (; wallet_seen < w.wallet.events.size(); ++wallet_seen) {
      const Action event = w.wallet.events[wallet_seen];
      if (auto* proposal = std::get_if<ProposalReceived>(&event)) {
        ASSERT_TRUE(w.wallet.engine->approve(proposal->proposal.id, granted()));
      } else if (auto* request = std::get_if<RequestReceived>(&event)) {
        ASSERT_TRUE(w.wallet.engine->respond(request->topic, request->id, "answer " + std::to_string(request->id)));
      } else if (auto* settled = std::get_if<SessionSettled>(&event)) {
        const std::string& topic = settled->session.topic;
        ASSERT_TRUE(w.wallet.engine->emit(topic, "eip155:1", "chainChanged", 1));
        ASSERT_TRUE(w.wallet.engine->update(topic, wider()));
        ASSERT_TRUE(w.wallet.engine->extend(topic));
      }
    }
    for (; dapp_seen < w.dapp.events.size(); ++dapp_seen) {
      const Action event = w.dapp.events[dapp_seen];
      if (auto* settled = std::get_if<SessionSettled>(&event)) {
        const std::string& topic = settled->session.topic;
        for (const char* method : {"personal_sign", "eth_sendTransaction", "personal_sign"}) {
          auto id = w.dapp.engine->request(topic, "eip155:1", method, Json::array());
          ASSERT_TRUE(id);
          sent.insert(*id);
        }
        auto id = w.dapp.engine->ping(topic);
        ASSERT_TRUE(id);
        ping = *id;
      }
    }
  }
};

struct ScheduleStats {
  int restarts = 0, duplicates = 0, reordered = 0;
};

void random_schedule(std::uint64_t seed, ScheduleStats& stats) {
  World w(seed);
  Scheduler scheduler(seed);
  Apps apps;
  auto connection = w.dapp.engine->connect(required());
  ASSERT_TRUE(connection);
  ASSERT_TRUE(w.wallet.engine->pair(connection->uri));
  int restarts = 0, duplicates = 0;
  for (int step = 0; step < 500; ++step) {
    w.net.collect_all();
    apps.react(w);
    w.clock.advance(10ms);
    if (scheduler.chance(8)) {
      w.restart(scheduler.chance(50) ? w.dapp : w.wallet);
      ++restarts;
      continue;
    }
    w.net.collect_all();
    std::vector<std::size_t> ready;
    for (std::size_t i = 0; i < w.net.in_flight(); ++i) {
      if (w.net.receiver_at(i)) ready.push_back(i);
    }
    if (ready.empty()) break;
    // Any ready message, not only the oldest: on topics both sides subscribe to, order is not kept.
    const std::size_t pick = ready[scheduler.below(static_cast<std::uint32_t>(ready.size()))];
    stats.reordered += pick != ready.front() ? 1 : 0;
    if (scheduler.chance(20)) {
      w.net.resend(*w.net.sender(pick), w.net.peek(pick));
      ++duplicates;
    }
    w.net.deliver_at(pick);
    if (::testing::Test::HasFatalFailure()) return;
  }
  EXPECT_EQ(w.net.in_flight(), 0u);
  EXPECT_EQ(w.dapp.count<SessionSettled>(), 1);
  EXPECT_EQ(w.wallet.count<SessionSettled>(), 1);
  std::map<std::int64_t, int> received, answered;
  for (const auto& event : w.wallet.events) {
    if (auto* request = std::get_if<RequestReceived>(&event)) ++received[request->id];
  }
  for (const auto& event : w.dapp.events) {
    if (auto* response = std::get_if<ResponseReceived>(&event)) {
      ++answered[response->id];
      EXPECT_EQ(std::get<Json>(response->outcome), "answer " + std::to_string(response->id));
    }
  }
  for (const auto& [id, n] : received) EXPECT_EQ(n, 1) << "request " << id << " received more than once";
  for (const auto& [id, n] : answered) EXPECT_EQ(n, 1) << "request " << id << " answered more than once";
  EXPECT_EQ(answered.size(), apps.sent.size());
  for (auto id : apps.sent) EXPECT_TRUE(answered.contains(id)) << "request " << id << " never answered";
  EXPECT_EQ(w.dapp.count<PingAnswered>(), 1);
  EXPECT_EQ(w.dapp.count<EventReceived>(), 1);
  EXPECT_EQ(w.dapp.count<SessionUpdated>(), 1);
  EXPECT_EQ(w.dapp.count<SessionExtended>(), 1);
  EXPECT_EQ(w.dapp.count<RequestExpired>() + w.wallet.count<RequestExpired>(), 0);
  ASSERT_EQ(w.wallet.engine->sessions().size(), 1u);
  ASSERT_EQ(w.dapp.engine->sessions().size(), 1u);
  EXPECT_TRUE(w.wallet.engine->sessions()[0].acknowledged);
  EXPECT_EQ(w.dapp.engine->sessions()[0].namespaces.at("eip155").chains.size(), 2u);
  EXPECT_EQ(w.dapp.engine->sessions()[0].expiry, w.wallet.engine->sessions()[0].expiry);
  EXPECT_TRUE(w.dapp.engine->pending_requests().empty());
  EXPECT_TRUE(w.wallet.engine->pending_requests().empty());
  // Each duplicate is dropped once, and nothing else is.
  std::string reasons;
  for (const Party* party : {&w.dapp, &w.wallet}) {
    for (const auto& event : party->events) {
      if (auto* dropped = std::get_if<MessageDropped>(&event)) reasons += dropped->reason + "; ";
    }
  }
  EXPECT_EQ(w.dapp.count<MessageDropped>() + w.wallet.count<MessageDropped>(), duplicates) << reasons;
  stats.restarts += restarts;
  stats.duplicates += duplicates;
}

TEST(EngineAdversarialTest, RandomSchedulesOfDuplicatesReordersAndRestarts) {
  ScheduleStats stats;
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    random_schedule(seed, stats);
    if (HasFatalFailure()) return;
  }
  std::printf("50 schedules: %d restarts, %d duplicates, %d deliveries out of order\n", stats.restarts,
              stats.duplicates, stats.reordered);
  EXPECT_GT(stats.restarts, 0);
  EXPECT_GT(stats.duplicates, 0);
  EXPECT_GT(stats.reordered, 0);
}

}  // namespace
}  // namespace keylink::session
