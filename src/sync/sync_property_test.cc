// Convergence, as a property: three devices make changes and exchange them over a network that drops
// (then redelivers), duplicates and reorders; once everything is delivered, the three states encode to
// the same bytes. Also: the same set of changes applied in any order, with duplicates, on fresh
// states gives those same bytes. 500 seeds, each schedule reproducible from its seed.
#include <algorithm>
#include <array>
#include <random>

#include <gtest/gtest.h>

#include "keylink/sync/sync_message.h"
#include "keylink/sync/sync_state.h"
#include "sync/sync_testing.h"

namespace keylink::sync {
namespace {

constexpr int kSeeds = 500;
constexpr int kSealedSeeds = 50;
constexpr int kSteps = 80;

using Schedule = std::mt19937_64;

std::size_t pick(Schedule& s, std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(s); }

// A random change over few keys, so that devices often write the same register.
Change random_change(Schedule& s, const std::array<InstallationId, 3>& ids) {
  static constexpr std::array<const char*, 3> kAddresses = {"0xaaa", "0xbbb", "0xccc"};
  static constexpr std::array<const char*, 2> kTopics = {"topic-1", "topic-2"};
  const std::string name = "name-" + std::to_string(pick(s, 100));
  const char* address = kAddresses[pick(s, kAddresses.size())];
  const char* topic = kTopics[pick(s, kTopics.size())];
  switch (pick(s, 9)) {
    case 0: return changes::contact_added(address);
    case 1: return changes::contact_removed(address);
    case 2: return changes::consent(address, static_cast<Consent>(pick(s, 3)));
    case 3: return changes::contact_name(address, name);
    case 4: return changes::archived(topic, pick(s, 2) == 1);
    case 5: return changes::muted(topic, pick(s, 2) == 1);
    case 6: return changes::read_up_to(topic, pick(s, 1000));
    case 7: return changes::setting("display_name", name);
    default: return changes::device_name(ids[pick(s, ids.size())], name);
  }
}

struct InFlight {
  std::size_t to;
  std::vector<Change> batch;
};

// Runs one schedule; returns every change made, and checks the three devices converged.
std::vector<Change> run_schedule(std::uint64_t seed, std::array<SyncState, 3>& devices,
                                 const std::array<InstallationId, 3>& ids) {
  Schedule s(seed);
  std::vector<InFlight> network, dropped;
  std::vector<Change> made;
  for (int step = 0; step < kSteps; ++step) {
    const std::size_t action = pick(s, 10);
    if (action < 4 || network.empty()) {  // a device changes something, and sends it to the others
      const std::size_t from = pick(s, 3);
      std::vector<Change> batch;
      for (std::size_t n = 1 + pick(s, 3); n > 0; --n) {
        auto change = devices[from].apply_local(random_change(s, ids));
        EXPECT_TRUE(change);
        batch.push_back(*change);
        made.push_back(*change);
      }
      for (std::size_t to = 0; to < 3; ++to) {
        if (to != from) network.push_back({to, batch});
      }
    } else {
      const std::size_t i = pick(s, network.size());
      InFlight message = network[i];
      if (action == 9) {  // dropped now, redelivered at the end
        dropped.push_back(message);
      } else {
        for (const auto& change : message.batch) EXPECT_TRUE(devices[message.to].apply(change));
      }
      if (action != 8) network.erase(network.begin() + static_cast<std::ptrdiff_t>(i));  // 8: a duplicate stays
    }
  }
  network.insert(network.end(), dropped.begin(), dropped.end());
  std::shuffle(network.begin(), network.end(), s);
  for (const auto& message : network) {
    for (const auto& change : message.batch) EXPECT_TRUE(devices[message.to].apply(change));
  }
  return made;
}

std::array<InstallationId, 3> test_ids() { return {InstallationId{1}, InstallationId{2}, InstallationId{3}}; }

TEST(SyncPropertyTest, ThreeDevicesConvergeWhateverTheNetworkDoes) {
  const auto ids = test_ids();
  for (int seed = 0; seed < kSeeds; ++seed) {
    std::array<SyncState, 3> devices = {SyncState(ids[0]), SyncState(ids[1]), SyncState(ids[2])};
    const std::vector<Change> made = run_schedule(static_cast<std::uint64_t>(seed), devices, ids);
    const Bytes expected = devices[0].encode();
    ASSERT_EQ(devices[1].encode(), expected) << "seed " << seed;
    ASSERT_EQ(devices[2].encode(), expected) << "seed " << seed;

    // The same changes, in three other random orders with duplicates, on fresh devices.
    Schedule s(static_cast<std::uint64_t>(seed) + 1'000'000);
    for (std::size_t d = 0; d < 3; ++d) {
      std::vector<Change> order = made;
      for (std::size_t n = pick(s, made.size() + 1); n > 0; --n) order.push_back(made[pick(s, made.size())]);
      std::shuffle(order.begin(), order.end(), s);
      SyncState fresh(ids[d]);
      for (const auto& change : order) ASSERT_TRUE(fresh.apply(change));
      ASSERT_EQ(fresh.encode(), expected) << "seed " << seed << ", replay " << d;
    }
    // And the stored form rebuilds the same state.
    auto rebuilt = SyncState::decode(expected, ids[0]);
    ASSERT_TRUE(rebuilt) << "seed " << seed;
    ASSERT_EQ(rebuilt->encode(), expected);
  }
}

// The same through sealed sync messages: each batch sealed by its sender, opened by each receiver.
TEST(SyncPropertyTest, SealedMessagesConvergeToo) {
  testing::Account account;
  testing::Device a = account.device("a"), b = account.device("b"), c = account.device("c");
  const InstallationList list = account.list_of({&a, &b, &c});
  const std::array<const testing::Device*, 3> device = {&a, &b, &c};
  const std::array<InstallationId, 3> ids = {a.keys.id(), b.keys.id(), c.keys.id()};
  GroupKeyRing ring;
  ring.add(GroupKey::generate(1, account.rng));
  for (int seed = 0; seed < kSealedSeeds; ++seed) {
    Schedule s(static_cast<std::uint64_t>(seed));
    std::array<SyncState, 3> states = {SyncState(ids[0]), SyncState(ids[1]), SyncState(ids[2])};
    std::vector<std::pair<std::size_t, Bytes>> network;
    for (int step = 0; step < 30; ++step) {
      const std::size_t from = pick(s, 3);
      auto change = states[from].apply_local(random_change(s, ids));
      ASSERT_TRUE(change);
      auto message = seal_sync_message({*change}, ring.current(), device[from]->keys, account.rng);
      ASSERT_TRUE(message);
      for (std::size_t to = 0; to < 3; ++to) {
        if (to == from) continue;
        network.push_back({to, *message});
        if (pick(s, 4) == 0) network.push_back({to, *message});  // a duplicate
      }
      if (pick(s, 3) == 0 && !network.empty()) {  // deliver one now, out of order
        const std::size_t i = pick(s, network.size());
        ASSERT_TRUE(receive_sync_message(network[i].second, ring, list, states[network[i].first]));
        network.erase(network.begin() + static_cast<std::ptrdiff_t>(i));
      }
    }
    std::shuffle(network.begin(), network.end(), s);
    for (const auto& [to, message] : network) ASSERT_TRUE(receive_sync_message(message, ring, list, states[to]));
    ASSERT_EQ(states[0].encode(), states[1].encode()) << "seed " << seed;
    ASSERT_EQ(states[0].encode(), states[2].encode()) << "seed " << seed;
  }
}

}  // namespace
}  // namespace keylink::sync
