// AccountLink and JoinLink over the real relay (RelayCore + Server on 127.0.0.1) and over the LAN path,
// with real SQLite homes: what B holds once linked; either side killed at each step of the handshake
// (nothing half-made, no ghost, a retry works); and a path that duplicates, drops, reorders or alters
// the link's messages (DeviceLinkOptions::tap plays it).
#include "keylink/runtime/device_link.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "keylink/messaging/message_store.h"
#include "keylink/sync/installation_list.h"
#include "testing/device_homes.h"

namespace keylink::runtime {
namespace {

using keylink::testing::DeviceHome;
using keylink::testing::LinkRun;
using keylink::testing::run_until;
using Tap = DeviceLinkOptions::TapDirection;

// The link frame's clear header (docs/linking.md "Messages"): version, type, seq, then for a history
// chunk its index.
enum FrameType : std::uint8_t {
  kHello = 1,
  kDeviceInfo = 2,
  kAccount = 3,
  kInstalled = 5,
  kWelcome = 6,
  kCommitted = 7,
  kHistoryChunk = 8,
};
std::uint8_t type_of(const Bytes& frame) { return frame.size() > 1 ? frame[1] : 0; }
std::uint32_t chunk_index(const Bytes& frame) {
  return (std::uint32_t{frame[10]} << 24) | (std::uint32_t{frame[11]} << 16) | (std::uint32_t{frame[12]} << 8) |
         frame[13];
}
Bytes altered(Bytes frame) {
  frame.back() ^= 0x01;  // the tag
  return frame;
}

constexpr int kHistoryMessages = 6;  // of 50 KiB: three chunks of history

class DeviceLinkTest : public keylink::testing::DeviceHomesTest {
 protected:
  // A, with a history of kHistoryMessages messages in its cache.
  DeviceHome& account_with_history() {
    DeviceHome& a = account_home(1, 0x11);
    for (int i = 0; i < kHistoryMessages; ++i) {
      const messaging::StoredMessage message{"id-" + std::to_string(i), "/xmtp/0/m-topic/proto", a.address(),
                                             1'000'000'000ull * static_cast<std::uint64_t>(i + 1),
                                             Bytes(50 * 1024, static_cast<std::uint8_t>(i))};
      EXPECT_TRUE(a.node->messages().add(message, a.rng));
    }
    return a;
  }
  static std::int64_t stored_messages(DeviceHome& home) {
    return messaging::MessageStore::open(home.home.db(), home.home.vault(), home.rng).value().count_all().value();
  }

  // B holds A's account, its own keys, the list of both (signed), the group keys and the history.
  void expect_linked(DeviceHome& a, DeviceHome& b, const LinkRun& run) {
    ASSERT_TRUE(b.has_identity());
    EXPECT_EQ(b.address(), a.address());
    ASSERT_TRUE(b.store().keys().value());
    const auto list = b.list();
    ASSERT_TRUE(list);
    EXPECT_TRUE(sync::verify_list(*list, a.identity_public()));
    ASSERT_EQ(list->installations.size(), 2u);
    EXPECT_EQ(sync::classify(*list, b.id(), b.id()), sync::InstallationClass::kThisDevice);
    EXPECT_EQ(sync::classify(*list, b.id(), a.id()), sync::InstallationClass::kEnabled);
    EXPECT_EQ(list->enabled_count(), 2u);
    EXPECT_EQ(a.list_bytes(), b.list_bytes());
    const SecretBytes ring_a = sync::encode(a.store().group_keys().value());
    const SecretBytes ring_b = sync::encode(b.store().group_keys().value());
    EXPECT_TRUE(std::ranges::equal(ring_a.expose(), ring_b.expose()));
    EXPECT_EQ(stored_messages(b), kHistoryMessages);
    auto at_b = messaging::MessageStore::open(b.home.db(), b.home.vault(), b.rng).value();
    auto at_a = messaging::MessageStore::open(a.home.db(), a.home.vault(), a.rng).value();
    const auto mine = at_a.messages("/xmtp/0/m-topic/proto").value();
    const auto theirs = at_b.messages("/xmtp/0/m-topic/proto").value();
    ASSERT_EQ(theirs.size(), mine.size());
    for (std::size_t i = 0; i < mine.size(); ++i) {
      EXPECT_EQ(theirs[i].id, mine[i].id);
      EXPECT_EQ(theirs[i].content, mine[i].content);
    }
    ASSERT_FALSE(run.b_side.progress.empty());
    EXPECT_EQ(run.b_side.progress.back().first, run.b_side.progress.back().second);
    EXPECT_EQ(run.b_side.progress.back().second, 3u);
    ASSERT_FALSE(run.a_side.progress.empty());
    EXPECT_EQ(run.a_side.progress.back(), run.b_side.progress.back());
    EXPECT_TRUE(run.a_side.linked && run.b_side.linked);
    EXPECT_TRUE(a.store().code().value()->used);
  }

  // No installation, no identity, nothing of the account on B.
  static void expect_nothing_on(DeviceHome& b) {
    EXPECT_FALSE(b.has_identity());
    EXPECT_FALSE(b.store().keys().value());
    EXPECT_FALSE(b.list());
    EXPECT_TRUE(b.store().group_keys().value().empty());
  }
  // Every device A lists is in the signed list: no ghost.
  static void expect_no_ghost(DeviceHome& a, std::size_t devices) {
    const auto listed = list_devices(a.home).value();
    ASSERT_TRUE(listed);
    EXPECT_EQ(listed->size(), devices);
    for (const auto& entry : *listed) EXPECT_NE(entry.status, sync::InstallationClass::kGhost);
  }
};

class DeviceLinkPathTest : public DeviceLinkTest, public ::testing::WithParamInterface<bool> {};

TEST_P(DeviceLinkPathTest, BBecomesADeviceOfTheAccountWithItsHistory) {
  const bool lan = GetParam();
  DeviceHome& a = account_with_history();
  DeviceHome& b = new_home(2);
  const auto published_before = loopback.core->metrics().ephemeral_publishes;
  LinkRun& run = new_run();
  ASSERT_NO_FATAL_FAILURE(
      start_joiner(run, b, new_code(a), lan ? std::optional<std::string>("127.0.0.1:0") : std::nullopt));
  EXPECT_EQ(run.joiner->uri().lan.has_value(), lan);
  ASSERT_NO_FATAL_FAILURE(start_account(run, a));
  ASSERT_TRUE(both_done(run));
  ASSERT_TRUE(*run.a_side.done) << run.a_side.done->error().message;
  ASSERT_TRUE(*run.b_side.done) << run.b_side.done->error().message;
  ASSERT_TRUE(run.a_side.asked);
  EXPECT_EQ(run.a_side.asked->name, "B");
  expect_linked(a, b, run);
  if (lan) {
    EXPECT_EQ(loopback.core->metrics().ephemeral_publishes, published_before);  // nothing went to the relay
  }
}

INSTANTIATE_TEST_SUITE_P(RelayAndLan, DeviceLinkPathTest, ::testing::Values(false, true),
                         [](const auto& test) { return test.param ? "Lan" : "Relay"; });

// ---------------------------------------------------------------------------------------------------
// Kill either side at each step.

enum class Step {
  kUriShown,       // B shows its URI; A has read it (its code is burnt) and nothing came through
  kHelloSent,      // A sent Hello
  kAskUser,        // B's DeviceInfo came; A asks its user
  kAccountSent,    // A sent the account
  kInstalledSent,  // B sent its installation record
  kWelcomeSent,    // A sent the new list
  kCommitted,      // B committed and said so
  kMidHistory,     // the first history chunk is stored on B
};
enum class Victim { kA, kB };

struct KillCase {
  Step step;
  Victim victim;
};

std::string name_of(const KillCase& c) {
  static const char* const kSteps[] = {"UriShown",      "HelloSent",   "AskUser",   "AccountSent",
                                       "InstalledSent", "WelcomeSent", "Committed", "MidHistory"};
  return std::string(kSteps[static_cast<int>(c.step)]) + (c.victim == Victim::kA ? "_KillA" : "_KillB");
}

class DeviceLinkKillTest : public DeviceLinkTest, public ::testing::WithParamInterface<KillCase> {
 protected:
  // The message that marks the step, as the side that receives it sees it (before it reads it): from
  // then on both sides' taps drop everything, so the step is exactly where the link stops.
  bool marks_step(Tap direction, const Bytes& frame, bool at_b) const {
    if (direction != Tap::kReceived) return false;
    switch (GetParam().step) {
      case Step::kHelloSent: return at_b && type_of(frame) == kHello;
      case Step::kAccountSent: return at_b && type_of(frame) == kAccount;
      case Step::kInstalledSent: return !at_b && type_of(frame) == kInstalled;
      case Step::kWelcomeSent: return at_b && type_of(frame) == kWelcome;
      case Step::kCommitted: return !at_b && type_of(frame) == kCommitted;
      case Step::kMidHistory: return at_b && type_of(frame) == kHistoryChunk && chunk_index(frame) >= 1;
      default: return false;
    }
  }
  DeviceLinkOptions tapped(const std::string& name, bool at_b) {
    DeviceLinkOptions options = link_options(name);
    options.tap = [this, at_b](Tap direction, Bytes frame) -> std::vector<Bytes> {
      if (!frozen && marks_step(direction, frame, at_b)) frozen = true;
      if (frozen) return {};
      return {std::move(frame)};
    };
    return options;
  }

  bool frozen = false;
};

TEST_P(DeviceLinkKillTest, NothingHalfMadeAndARetryWorks) {
  const KillCase c = GetParam();
  DeviceHome& a = account_with_history();
  DeviceHome& b = new_home(2);
  const std::string code = new_code(a);
  const Bytes list_before = a.list_bytes();
  const auto subscriptions_before = loopback.core->metrics().subscriptions;

  LinkRun& run = new_run();
  frozen = c.step == Step::kUriShown;
  ASSERT_NO_FATAL_FAILURE(start_joiner(run, b, code, std::nullopt, tapped("B", true)));
  ASSERT_NO_FATAL_FAILURE(start_account(run, a, tapped("A", false), /*answer=*/c.step != Step::kAskUser));
  if (c.step == Step::kAskUser) {
    ASSERT_TRUE(run_until(io, [&] { return run.a_side.asked.has_value(); }));
  } else {
    ASSERT_TRUE(run_until(io, [&] { return frozen; }));
  }
  // The victim's process ends: its link object goes, with whatever it held in memory.
  if (c.victim == Victim::kA) {
    run.account.reset();
  } else {
    run.joiner.reset();
  }
  io.run_for(std::chrono::milliseconds(20));
  // The survivor's user gives up (or its deadline ends it): the same, as far as the homes go.
  run.account.reset();
  run.joiner.reset();
  // Until the relay has let both go (a retry's B is then known subscribed when the count grows again).
  ASSERT_TRUE(run_until(io, [&] { return loopback.core->metrics().subscriptions == subscriptions_before; }));
  EXPECT_TRUE(a.store().code().value()->used);

  if (c.step < Step::kCommitted) {
    expect_nothing_on(b);
    EXPECT_EQ(a.list_bytes(), list_before);
    expect_no_ghost(a, 1);
    // A retry with a new code and a new JoinLink on the same homes.
    LinkRun& retry = new_run();
    frozen = false;
    ASSERT_NO_FATAL_FAILURE(start_joiner(retry, b, new_code(a)));
    ASSERT_NO_FATAL_FAILURE(start_account(retry, a));
    ASSERT_TRUE(both_done(retry));
    ASSERT_TRUE(*retry.a_side.done) << retry.a_side.done->error().message;
    ASSERT_TRUE(*retry.b_side.done) << retry.b_side.done->error().message;
    expect_linked(a, b, retry);
    expect_no_ghost(a, 2);
    return;
  }

  // B committed: it is a device of the account whichever side died.
  ASSERT_TRUE(b.has_identity());
  EXPECT_EQ(b.address(), a.address());
  ASSERT_TRUE(b.list());
  EXPECT_EQ(sync::classify(*b.list(), b.id(), b.id()), sync::InstallationClass::kThisDevice);
  if (c.step == Step::kCommitted) {
    // A never read Committed, so it stored nothing: B holds the list, and gives it to A at its first sync.
    EXPECT_EQ(a.list_bytes(), list_before);
    ASSERT_NO_FATAL_FAILURE(open_sync(b, "B"));
    ASSERT_NO_FATAL_FAILURE(open_sync(a, "A"));
    const auto at_b = sync(b);
    EXPECT_TRUE(at_b.refused.empty()) << at_b.refused.front();
    const auto at_a = sync(a);
    EXPECT_TRUE(at_a.refused.empty()) << at_a.refused.front();
  } else {
    EXPECT_LT(stored_messages(b), kHistoryMessages);  // only the history is incomplete
    EXPECT_GT(stored_messages(b), 0);
  }
  EXPECT_EQ(a.list_bytes(), b.list_bytes());
  EXPECT_EQ(sync::classify(*a.list(), a.id(), b.id()), sync::InstallationClass::kEnabled);
  expect_no_ghost(a, 2);
}

std::vector<KillCase> kill_cases() {
  std::vector<KillCase> out;
  for (int step = 0; step <= static_cast<int>(Step::kMidHistory); ++step) {
    for (Victim victim : {Victim::kA, Victim::kB}) out.push_back({static_cast<Step>(step), victim});
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(EachStep, DeviceLinkKillTest, ::testing::ValuesIn(kill_cases()),
                         [](const auto& test) { return name_of(test.param); });

// ---------------------------------------------------------------------------------------------------
// A hostile path between A and B.

TEST_F(DeviceLinkTest, DuplicatesAreAbsorbed) {
  DeviceHome& a = account_with_history();
  DeviceHome& b = new_home(2);
  int duplicated = 0;
  DeviceLinkOptions options = link_options("A");
  options.tap = [&](Tap, Bytes frame) -> std::vector<Bytes> {
    ++duplicated;
    return {frame, frame};
  };
  LinkRun& run = new_run();
  ASSERT_NO_FATAL_FAILURE(start_joiner(run, b, new_code(a)));
  ASSERT_NO_FATAL_FAILURE(start_account(run, a, options));
  ASSERT_TRUE(both_done(run));
  ASSERT_TRUE(*run.a_side.done) << run.a_side.done->error().message;
  ASSERT_TRUE(*run.b_side.done) << run.b_side.done->error().message;
  EXPECT_GE(duplicated, 10);  // both ways, every step
  expect_linked(a, b, run);
}

TEST_F(DeviceLinkTest, HistoryDroppedAndReorderedIsResumed) {
  DeviceHome& a = account_with_history();
  DeviceHome& b = new_home(2);
  // The first round: chunk 0 held back until chunk 1 went, chunk 2 dropped.
  std::optional<Bytes> held;
  bool dropped = false;
  DeviceLinkOptions options = link_options("A");
  options.tap = [&](Tap direction, Bytes frame) -> std::vector<Bytes> {
    if (direction != Tap::kSent || type_of(frame) != kHistoryChunk) return {std::move(frame)};
    const std::uint32_t index = chunk_index(frame);
    if (index == 0 && !held) {
      held = std::move(frame);
      return {};
    }
    if (index == 1 && held && held->size() > 1) {
      Bytes late = std::exchange(*held, Bytes{0});
      return {std::move(frame), std::move(late)};
    }
    if (index == 2 && !dropped) {
      dropped = true;
      return {};
    }
    return {std::move(frame)};
  };
  LinkRun& run = new_run();
  ASSERT_NO_FATAL_FAILURE(start_joiner(run, b, new_code(a)));
  ASSERT_NO_FATAL_FAILURE(start_account(run, a, options));
  ASSERT_TRUE(both_done(run));
  ASSERT_TRUE(*run.a_side.done) << run.a_side.done->error().message;
  ASSERT_TRUE(*run.b_side.done) << run.b_side.done->error().message;
  EXPECT_TRUE(dropped);
  expect_linked(a, b, run);
}

TEST_F(DeviceLinkTest, AnAlteredMessageIsRefusedAndTheLinkFailsWithNothingMade) {
  DeviceHome& a = account_with_history();
  DeviceHome& b = new_home(2);
  const std::string code = new_code(a);
  const Bytes list_before = a.list_bytes();
  bool altered_one = false;
  DeviceLinkOptions options = link_options("A");
  options.link.max_handshake_time = std::chrono::seconds(1);
  options.tap = [&](Tap direction, Bytes frame) -> std::vector<Bytes> {
    if (direction == Tap::kReceived && type_of(frame) == kInstalled) {
      altered_one = true;
      return {altered(std::move(frame))};
    }
    return {std::move(frame)};
  };
  LinkRun& run = new_run();
  ASSERT_NO_FATAL_FAILURE(start_joiner(run, b, code));
  ASSERT_NO_FATAL_FAILURE(start_account(run, a, options));
  ASSERT_TRUE(run_until(io, [&] { return altered_one; }));
  clock.advance(std::chrono::seconds(2));  // past A's handshake deadline
  ASSERT_TRUE(run_until(io, [&] { return run.a_side.done.has_value(); }));
  ASSERT_FALSE(*run.a_side.done);
  const std::string why = run.a_side.done->error().message;
  EXPECT_NE(why.find("timed out waiting for the new device to install the account"), std::string::npos) << why;
  EXPECT_NE(why.find("1 message on the link topic did not open"), std::string::npos) << why;
  run.joiner.reset();  // B waits for a Welcome that never comes; its user gives up
  expect_nothing_on(b);
  EXPECT_EQ(a.list_bytes(), list_before);
  expect_no_ghost(a, 1);
}

TEST_F(DeviceLinkTest, AnAlteredCopyBesideTheAuthenticMessageIsIgnored) {
  DeviceHome& a = account_with_history();
  DeviceHome& b = new_home(2);
  int altered_copies = 0;
  DeviceLinkOptions options = link_options("A");
  options.tap = [&](Tap direction, Bytes frame) -> std::vector<Bytes> {
    if (direction == Tap::kReceived && (type_of(frame) == kDeviceInfo || type_of(frame) == kCommitted)) {
      ++altered_copies;
      return {altered(frame), std::move(frame)};  // a stranger's bytes first, then the real one
    }
    return {std::move(frame)};
  };
  LinkRun& run = new_run();
  ASSERT_NO_FATAL_FAILURE(start_joiner(run, b, new_code(a)));
  ASSERT_NO_FATAL_FAILURE(start_account(run, a, options));
  ASSERT_TRUE(both_done(run));
  ASSERT_TRUE(*run.a_side.done) << run.a_side.done->error().message;
  ASSERT_TRUE(*run.b_side.done) << run.b_side.done->error().message;
  EXPECT_EQ(altered_copies, 2);
  expect_linked(a, b, run);
}

}  // namespace
}  // namespace keylink::runtime
