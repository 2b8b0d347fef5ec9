#include "keylink/sync/installation_list.h"

#include <gtest/gtest.h>

#include "keylink/sync/errors.h"
#include "sync/sync_testing.h"

namespace keylink::sync {
namespace {

using testing::Account;
using testing::Device;

TEST(SyncInstallationRecordTest, VerifiesAndRoundTrips) {
  Account account;
  Device b = account.device("laptop");
  ASSERT_TRUE(verify_installation_record(b.record, account.identity_public()));
  auto decoded = decode_installation_record(encode(b.record));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->installation, b.record.installation);
  EXPECT_TRUE(verify_installation_record(*decoded, account.identity_public()));
}

TEST(SyncInstallationRecordTest, RefusesAnotherIdentityOrAStolenId) {
  Account account, stranger(99);
  Device b = account.device("laptop");
  auto other = verify_installation_record(b.record, stranger.identity_public());
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, Errc::kBadSignature);
  // A record that claims b's id with someone else's X25519 key: the self-signature no longer holds.
  Device c = account.device("phone");
  InstallationRecord forged = c.record;
  forged.installation.id = b.record.installation.id;
  forged.identity_signature = b.record.identity_signature;
  EXPECT_FALSE(verify_installation_record(forged, account.identity_public()));
}

TEST(SyncInstallationRecordTest, RefusesOversizeNames) {
  Account account;
  auto keys = InstallationKeys::generate(account.rng);
  auto record = make_installation_record(keys, std::string(65, 'x'), "linux", 1, account.identity);
  ASSERT_FALSE(record);
  EXPECT_EQ(record.error().code, Errc::kTooLarge);
}

TEST(SyncInstallationListTest, AppendsChainsAndRoundTrips) {
  Account account;
  Device a = account.device("phone"), b = account.device("laptop");
  InstallationList v1 = account.list_of({&a});
  auto v2 = append_installation(v1, b.record, account.identity);
  ASSERT_TRUE(v2);
  EXPECT_EQ(v2->version, 2u);
  ASSERT_EQ(v2->parents.size(), 1u);
  EXPECT_EQ(v2->parents[0], v1.hash());
  auto decoded = decode_installation_list(encode(*v2));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(encode(*decoded), encode(*v2));
  auto verdict = judge_list(v1, *decoded, account.identity_public());
  ASSERT_TRUE(verdict);
  EXPECT_EQ(*verdict, ListVerdict::kAccept);
  EXPECT_EQ(*judge_list(*v2, *decoded, account.identity_public()), ListVerdict::kUnchanged);
}

TEST(SyncInstallationListTest, RefusesAListNotSignedByTheIdentity) {
  Account account, relay(42);
  Device a = account.device("phone"), intruder = relay.device("intruder");
  InstallationList v1 = account.list_of({&a});
  // The relay (or anyone) signs a next version that adds its own device with another key.
  InstallationRecord record = intruder.record;
  auto forged = append_installation(v1, record, relay.identity);
  ASSERT_TRUE(forged);
  auto verdict = judge_list(v1, *forged, account.identity_public());
  ASSERT_FALSE(verdict);
  EXPECT_EQ(verdict.error().code, Errc::kBadSignature);
  // An honest version altered after signing.
  Device b = account.device("laptop");
  auto v2 = append_installation(v1, b.record, account.identity);
  ASSERT_TRUE(v2);
  v2->installations.back().name = "evil";
  EXPECT_FALSE(judge_list(v1, *v2, account.identity_public()));
}

TEST(SyncInstallationListTest, RefusesARollback) {
  Account account;
  Device a = account.device("phone"), b = account.device("laptop"), c = account.device("tablet");
  InstallationList v2 = account.list_of({&a, &b});
  auto v3 = remove_installation(v2, b.keys.id(), account.identity);
  ASSERT_TRUE(v3);
  // The relay replays version 2, in which b is still enabled.
  auto verdict = judge_list(*v3, v2, account.identity_public());
  ASSERT_FALSE(verdict);
  EXPECT_EQ(verdict.error().code, Errc::kRollback);
  EXPECT_NE(verdict.error().message.find("version 2 received after version 3"), std::string::npos);
  // update_list says the same.
  EXPECT_FALSE(update_list(*v3, v2, account.identity));
  (void)c;
}

TEST(SyncInstallationListTest, NextVersionNotChainedIsMergedNotAccepted) {
  Account account;
  Device a = account.device("a"), b = account.device("b");
  InstallationList ours = account.list_of({&a});
  // A version 2 from another history (begun with b), which lists a too but never saw our version 1.
  InstallationList elsewhere = account.list_of({&b, &a});
  ASSERT_EQ(elsewhere.version, 2u);
  ASSERT_NE(elsewhere.parents[0], ours.hash());
  auto verdict = judge_list(ours, elsewhere, account.identity_public());
  ASSERT_TRUE(verdict);
  EXPECT_EQ(*verdict, ListVerdict::kMerge);
  auto update = update_list(ours, elsewhere, account.identity);
  ASSERT_TRUE(update && *update);
  EXPECT_EQ((*update)->list.version, 3u);
  EXPECT_EQ((*update)->list.parents.size(), 2u);
}

TEST(SyncInstallationListTest, ForkedVersionsMergeTheSameOnEveryDevice) {
  Account account;
  Device a = account.device("a"), b = account.device("b"), c = account.device("c"), d = account.device("d");
  InstallationList v2 = account.list_of({&a, &b});
  // a adds c and b adds d, at once: two version 3s.
  auto from_a = append_installation(v2, c.record, account.identity);
  auto from_b = append_installation(v2, d.record, account.identity);
  ASSERT_TRUE(from_a && from_b);
  ASSERT_EQ(from_a->version, from_b->version);
  auto verdict = judge_list(*from_a, *from_b, account.identity_public());
  ASSERT_TRUE(verdict);
  EXPECT_EQ(*verdict, ListVerdict::kMerge);
  auto on_a = update_list(*from_a, *from_b, account.identity);
  auto on_b = update_list(*from_b, *from_a, account.identity);
  ASSERT_TRUE(on_a && *on_a && on_b && *on_b);
  EXPECT_TRUE((*on_a)->publish);
  EXPECT_EQ(encode((*on_a)->list), encode((*on_b)->list));  // byte-equal, whoever merged
  const InstallationList& merged = (*on_a)->list;
  EXPECT_EQ(merged.version, 4u);
  EXPECT_EQ(merged.parents.size(), 2u);
  EXPECT_EQ(merged.enabled_count(), 4u);
  // Each side then accepts the other's merge as unchanged, and the merge over either fork.
  EXPECT_EQ(*judge_list(merged, (*on_b)->list, account.identity_public()), ListVerdict::kUnchanged);
  EXPECT_FALSE(judge_list(merged, *from_a, account.identity_public()));  // an old fork adds nothing: rollback
}

TEST(SyncInstallationListTest, RemovedBeatsEnabledInAMerge) {
  Account account;
  Device a = account.device("a"), b = account.device("b"), c = account.device("c"), d = account.device("d");
  InstallationList v3 = account.list_of({&a, &b, &c});
  auto removed = remove_installation(v3, c.keys.id(), account.identity);
  auto added = append_installation(v3, d.record, account.identity);
  ASSERT_TRUE(removed && added);
  auto merged = merge(*removed, *added, account.identity);
  ASSERT_TRUE(merged);
  EXPECT_EQ(merged->find(c.keys.id())->status, InstallationStatus::kRemoved);
  EXPECT_EQ(merged->find(c.keys.id())->removed_at_version, 4u);
  EXPECT_EQ(merged->find(d.keys.id())->status, InstallationStatus::kEnabled);
  // The branch where c is still enabled, replayed later, adds nothing: refused as a rollback.
  auto again = update_list(*merged, *added, account.identity);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::kRollback);
}

TEST(SyncInstallationListTest, TwoDevicesRemovingEachOtherAtOnceEndBothRemoved) {
  Account account;
  Device a = account.device("a"), b = account.device("b");
  InstallationList v2 = account.list_of({&a, &b});
  auto by_a = remove_installation(v2, b.keys.id(), account.identity);
  auto by_b = remove_installation(v2, a.keys.id(), account.identity);
  ASSERT_TRUE(by_a && by_b);
  auto merged = merge(*by_a, *by_b, account.identity);
  ASSERT_TRUE(merged);
  EXPECT_EQ(merged->enabled_count(), 0u);  // deterministic, if unhappy: docs/sync.md says so
  auto decoded = decode_installation_list(encode(*merged));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(classify(*decoded, a.keys.id(), a.keys.id()), InstallationClass::kRemoved);
}

TEST(SyncInstallationListTest, NewerVersionThatDropsADeviceIsMergedBack) {
  Account account;
  Device a = account.device("a"), b = account.device("b"), c = account.device("c"), d = account.device("d");
  InstallationList v2 = account.list_of({&a, &b});
  auto with_c = append_installation(v2, c.record, account.identity);           // v3 here
  auto with_d = append_installation(v2, d.record, account.identity);           // v3 elsewhere
  auto with_d4 = remove_installation(*with_d, b.keys.id(), account.identity);  // v4 elsewhere, no c
  ASSERT_TRUE(with_c && with_d && with_d4);
  // v4 is newer than our v3 but lacks c: a device cannot be hidden by a newer version that forgot it.
  auto update = update_list(*with_c, *with_d4, account.identity);
  ASSERT_TRUE(update && *update);
  EXPECT_TRUE((*update)->publish);
  const InstallationList& merged = (*update)->list;
  EXPECT_EQ(merged.version, 5u);
  EXPECT_EQ(merged.find(c.keys.id())->status, InstallationStatus::kEnabled);
  EXPECT_EQ(merged.find(b.keys.id())->status, InstallationStatus::kRemoved);
}

TEST(SyncInstallationListTest, SeventeenDevicesAndGhosts) {
  Account account;
  std::vector<Device> devices;
  for (int i = 0; i < 17; ++i) devices.push_back(account.device("device " + std::to_string(i)));
  std::vector<const Device*> pointers;
  for (const auto& d : devices) pointers.push_back(&d);
  InstallationList list = account.list_of(pointers);
  EXPECT_EQ(list.version, 17u);
  EXPECT_EQ(list.enabled_count(), 17u);
  auto decoded = decode_installation_list(encode(list));
  ASSERT_TRUE(decoded);
  EXPECT_TRUE(verify_list(*decoded, account.identity_public()));
  auto removed = remove_installation(list, devices[5].keys.id(), account.identity);
  ASSERT_TRUE(removed);
  Device ghost = account.device("ghost");  // signed by the identity, but never appended to the list
  const InstallationId& self = devices[0].keys.id();
  EXPECT_EQ(classify(*removed, self, self), InstallationClass::kThisDevice);
  EXPECT_EQ(classify(*removed, self, devices[16].keys.id()), InstallationClass::kEnabled);
  EXPECT_EQ(classify(*removed, self, devices[5].keys.id()), InstallationClass::kRemoved);
  EXPECT_EQ(classify(*removed, self, ghost.keys.id()), InstallationClass::kGhost);
  EXPECT_EQ(classify(*removed, devices[5].keys.id(), devices[5].keys.id()), InstallationClass::kRemoved);
}

TEST(SyncInstallationListTest, RefusesToAddTwiceOrRemoveTheLast) {
  Account account;
  Device a = account.device("a"), b = account.device("b");
  InstallationList v2 = account.list_of({&a, &b});
  EXPECT_FALSE(append_installation(v2, b.record, account.identity));
  auto v3 = remove_installation(v2, b.keys.id(), account.identity);
  ASSERT_TRUE(v3);
  EXPECT_FALSE(append_installation(*v3, b.record, account.identity));  // a removed device cannot come back
  EXPECT_FALSE(remove_installation(*v3, a.keys.id(), account.identity));
}

TEST(SyncInstallationListTest, DecoderRefusesMalformedLists) {
  Account account;
  Device a = account.device("a"), b = account.device("b");
  Bytes good = encode(account.list_of({&a, &b}));
  for (std::size_t n = 0; n < good.size(); ++n) {
    EXPECT_FALSE(decode_installation_list(ByteView(good).first(n))) << n;
  }
  Bytes trailing = good;
  trailing.push_back(0);
  EXPECT_FALSE(decode_installation_list(trailing));
  Bytes huge(kMaxInstallationListSize + 1, 0);
  auto too_large = decode_installation_list(huge);
  ASSERT_FALSE(too_large);
  EXPECT_EQ(too_large.error().code, Errc::kTooLarge);
}

}  // namespace
}  // namespace keylink::sync
