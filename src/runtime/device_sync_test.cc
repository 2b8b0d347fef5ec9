// DeviceSync between three devices of one account (A, then B and C linked by A with the real link),
// each with its XmtpNode on the real relay (RelayCore + Server on 127.0.0.1) and its SQLite home: state
// shared, removal with a new group key, and what the devices refuse on the group topic (a removed
// device's changes, a list not signed by the identity, a rolled-back list, a ghost's changes).
#include "keylink/runtime/device_sync.h"

#include <gtest/gtest.h>

#include "keylink/sync/sync_message.h"
#include "testing/device_homes.h"

namespace keylink::runtime {
namespace {

using keylink::testing::DeviceHome;

const std::string kBob = "0x1111111111111111111111111111111111111111";

// The group topic as DeviceSync names it (an XMTP content topic; the relay topic is its hash).
std::string group_topic(const sync::GroupKey& key) { return "/keylink/0/g-" + key.topic() + "/proto"; }

class DeviceSyncTest : public keylink::testing::DeviceHomesTest {
 protected:
  // A with B and C linked, every device synced once, so that each holds the list of three.
  void SetUp() override {
    a = &account_home(1, 0x11);
    b = &new_home(2);
    c = &new_home(3);
    ASSERT_NO_FATAL_FAILURE(link_devices(*a, *b, "B"));
    list_of_two = a->list_bytes();
    ASSERT_NO_FATAL_FAILURE(link_devices(*a, *c, "C"));
    ASSERT_NO_FATAL_FAILURE(open_sync(*a, "A"));
    ASSERT_NO_FATAL_FAILURE(open_sync(*b, "B"));
    ASSERT_NO_FATAL_FAILURE(open_sync(*c, "C"));
    for (DeviceHome* device : {a, b, c}) EXPECT_TRUE(sync(*device).refused.empty());
    ASSERT_EQ(a->devices->list().version, 3u);
    EXPECT_EQ(b->list_bytes(), a->list_bytes());
    EXPECT_EQ(c->list_bytes(), a->list_bytes());
  }

  static std::string name_on(DeviceHome& device, const std::string& address) {
    const auto contact = device.devices->state().contact(address);
    return contact ? contact->name : std::string();
  }
  // A copy: two calls in one expression must not share one.
  static sync::GroupKey current_key(DeviceHome& device) { return device.store().group_keys().value().current().clone(); }
  // Publishes raw messages on the device's current group topic through its node, as any holder of the
  // group key can.
  void publish_raw(DeviceHome& device, const std::vector<Bytes>& messages) {
    ASSERT_TRUE(device.node->publish_to(group_topic(current_key(device)), messages));
    sent(device);
  }

  DeviceHome* a = nullptr;
  DeviceHome* b = nullptr;
  DeviceHome* c = nullptr;
  Bytes list_of_two;
};

TEST_F(DeviceSyncTest, NamesAndConsentReachEveryDeviceAndARemovedDeviceIsShutOut) {
  // A name set on A reaches B and C (as `keylink contacts name` sets it: the contact, then its name).
  ASSERT_TRUE(a->devices->change(sync::changes::contact_added(kBob)));
  ASSERT_TRUE(a->devices->change(sync::changes::contact_name(kBob, "Bob")));
  sent(*a);
  EXPECT_EQ(sync(*b).changes, 2u);
  EXPECT_EQ(sync(*c).changes, 2u);
  EXPECT_EQ(name_on(*b, kBob), "Bob");
  EXPECT_EQ(name_on(*c, kBob), "Bob");

  // Consent on C reaches A, whose message store mirrors it.
  ASSERT_TRUE(c->devices->change(sync::changes::consent(kBob, sync::Consent::kDenied)));
  sent(*c);
  EXPECT_EQ(sync(*a).changes, 1u);
  EXPECT_EQ(a->devices->state().contact(kBob)->consent, sync::Consent::kDenied);
  EXPECT_EQ(a->node->messages().consent(kBob).value(), messaging::Consent::kDenied);

  // A removes C: B gets the new list and the new group key.
  const auto old_key_id = current_key(*a).id();
  ASSERT_TRUE(a->devices->remove(c->id()));
  sent(*a);
  const auto at_b = sync(*b);
  EXPECT_TRUE(at_b.refused.empty()) << at_b.refused.front();
  EXPECT_FALSE(at_b.removed);
  EXPECT_EQ(b->list_bytes(), a->list_bytes());
  EXPECT_EQ(sync::classify(*b->list(), b->id(), c->id()), sync::InstallationClass::kRemoved);
  EXPECT_EQ(current_key(*b).epoch(), 2u);
  EXPECT_EQ(current_key(*b).id(), current_key(*a).id());
  EXPECT_NE(current_key(*b).id(), old_key_id);

  // C is told, gets no new key, and does not see a name set afterwards.
  const auto at_c = sync(*c);
  EXPECT_TRUE(at_c.removed);
  EXPECT_EQ(current_key(*c).id(), old_key_id);
  ASSERT_TRUE(a->devices->change(sync::changes::contact_name(kBob, "Robert")));
  sent(*a);
  EXPECT_EQ(sync(*b).changes, 1u);
  EXPECT_EQ(name_on(*b, kBob), "Robert");
  sync(*c);
  EXPECT_EQ(name_on(*c, kBob), "Bob");

  // What C publishes afterwards (with the old key it holds) is refused on A and B.
  ASSERT_TRUE(c->devices->change(sync::changes::contact_name(kBob, "from C")));
  sent(*c);
  for (DeviceHome* device : {a, b}) {
    const auto report = sync(*device);
    EXPECT_EQ(report.changes, 0u);
    // C's new message alone: the read starts at the millisecond of the last message read before (C's
    // consent, on A), which is skipped, not refused again.
    EXPECT_EQ(report.refused.size(), 1u);
    for (const auto& why : report.refused) EXPECT_NE(why.find("removed device"), std::string::npos) << why;
    EXPECT_EQ(name_on(*device, kBob), "Robert");
  }
}

TEST_F(DeviceSyncTest, AForgedListARollbackAndAGhostAreRefused) {
  const Bytes list_of_three = a->list_bytes();
  const auto identity_public = a->identity_public();

  // A list that adds a device, chained to the current one, signed by another secp256k1 key.
  FixedRng mallory(99);
  const auto other_key = crypto::Secp256k1PrivateKey::generate(mallory);
  const auto evil_keys = sync::InstallationKeys::generate(mallory);
  const auto evil_record = sync::make_installation_record(evil_keys, "evil", "x", clock.unix_seconds(), other_key);
  ASSERT_TRUE(evil_record);
  const auto forged = sync::append_installation(*a->list(), *evil_record, other_key);
  ASSERT_TRUE(forged);
  EXPECT_FALSE(sync::verify_list(*forged, identity_public));
  ASSERT_NO_FATAL_FAILURE(publish_raw(*b, {sync::seal_account_record(sync::AccountRecordKind::kInstallationList,
                                                                     sync::encode(*forged), current_key(*b), b->rng)}));
  const auto forged_at_a = sync(*a);
  EXPECT_EQ(forged_at_a.refused.size(), 1u);
  EXPECT_EQ(a->list_bytes(), list_of_three);

  // A removes C (version 4); the version before (3, C enabled) and the one before it (2) come back.
  ASSERT_TRUE(a->devices->remove(c->id()));
  sent(*a);
  sync(*b);
  const Bytes list_of_four = a->list_bytes();
  ASSERT_EQ(b->list_bytes(), list_of_four);
  ASSERT_NO_FATAL_FAILURE(publish_raw(
      *b,
      {sync::seal_account_record(sync::AccountRecordKind::kInstallationList, list_of_three, current_key(*b), b->rng),
       sync::seal_account_record(sync::AccountRecordKind::kInstallationList, list_of_two, current_key(*b), b->rng)}));
  sync(*a);
  sync(*b);
  EXPECT_EQ(a->list_bytes(), list_of_four);
  EXPECT_EQ(b->list_bytes(), list_of_four);
  EXPECT_EQ(sync::classify(*a->list(), a->id(), c->id()), sync::InstallationClass::kRemoved);

  // A ghost: its own installation keys, not listed, holding the group key, sealing a change.
  const auto ghost = sync::InstallationKeys::generate(mallory);
  sync::Change change = sync::changes::contact_name(kBob, "ghost");
  change.stamp = {1000, ghost.id()};
  auto sealed = sync::seal_sync_message({change}, current_key(*a), ghost, mallory);
  ASSERT_TRUE(sealed);
  ASSERT_NO_FATAL_FAILURE(publish_raw(*b, {std::move(*sealed)}));
  const auto ghost_at_a = sync(*a);
  EXPECT_EQ(ghost_at_a.changes, 0u);
  EXPECT_EQ(ghost_at_a.refused.size(), 1u);
  EXPECT_EQ(name_on(*a, kBob), "");
  const auto listed = list_devices(a->home).value();
  ASSERT_TRUE(listed);
  int ghosts = 0;
  for (const auto& entry : *listed) {
    if (entry.status != sync::InstallationClass::kGhost) continue;
    ++ghosts;
    EXPECT_EQ(entry.installation.id, ghost.id());
  }
  EXPECT_EQ(ghosts, 1);
  EXPECT_EQ(listed->size(), 4u);  // A, B, C (removed) and the ghost
}

}  // namespace
}  // namespace keylink::runtime

namespace keylink::runtime {
namespace {

using keylink::testing::DeviceHome;

class SixteenDevicesTest : public keylink::testing::DeviceHomesTest {};

// An account of 16 devices: each new one linked by a device linked before it (no primary), then every
// device syncs and lists the same 16, and a name set on the last reaches the first.
TEST_F(SixteenDevicesTest, SixteenDevicesLinkFromAnyOneAndAgree) {
  constexpr std::size_t kDevices = 16;
  std::vector<DeviceHome*> devices{&account_home(1, 0x21)};
  for (std::size_t i = 1; i < kDevices; ++i) {
    DeviceHome& linker = *devices[i / 2];  // any enabled device links the next one
    if (!linker.devices) {
      ASSERT_NO_FATAL_FAILURE(open_sync(linker, "D"));
    }
    EXPECT_TRUE(sync(linker).refused.empty());  // the newest list first, as a CLI command reads it
    DeviceHome& next = new_home(100 + i);
    ASSERT_NO_FATAL_FAILURE(link_devices(linker, next, "device " + std::to_string(i)));
    EXPECT_TRUE(sync(linker).refused.empty());  // and tells the others
    devices.push_back(&next);
  }
  for (DeviceHome* device : devices) {
    if (!device->devices) {
      ASSERT_NO_FATAL_FAILURE(open_sync(*device, "D"));
    }
  }
  // Two rounds: every list reaches every device, merged where two linked at once from their view.
  for (int round = 0; round < 2; ++round) {
    for (DeviceHome* device : devices) EXPECT_TRUE(sync(*device).refused.empty());
  }
  const Bytes agreed = devices.front()->list_bytes();
  for (DeviceHome* device : devices) {
    EXPECT_EQ(device->list_bytes(), agreed) << "version " << device->devices->list().version;
    EXPECT_EQ(device->devices->list().version, kDevices);  // one chain: each link appended to the newest
    EXPECT_EQ(device->devices->list().enabled_count(), kDevices);
    auto listed = list_devices(device->home).value();
    ASSERT_TRUE(listed);
    EXPECT_EQ(listed->size(), kDevices);
    EXPECT_EQ(listed->front().status, sync::InstallationClass::kThisDevice);
  }
  ASSERT_TRUE(devices.back()->devices->change(sync::changes::contact_added("0xabc")));
  ASSERT_TRUE(devices.back()->devices->change(sync::changes::contact_name("0xabc", "sixteen")));
  sent(*devices.back());
  sync(*devices.front());
  ASSERT_TRUE(devices.front()->devices->state().contact("0xabc"));
  EXPECT_EQ(devices.front()->devices->state().contact("0xabc")->name, "sixteen");
}

}  // namespace
}  // namespace keylink::runtime
