#include "keylink/sync/sync_state.h"

#include <gtest/gtest.h>

#include "keylink/sync/errors.h"

namespace keylink::sync {
namespace {

const InstallationId kA{1}, kB{2};

TEST(SyncStateTest, LocalChangesBumpTheClock) {
  SyncState a(kA);
  auto first = a.apply_local(changes::contact_added("0xabc"));
  auto second = a.apply_local(changes::consent("0xabc", Consent::kAllowed));
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->stamp.clock, 1u);
  EXPECT_EQ(second->stamp.clock, 2u);
  EXPECT_EQ(second->stamp.author, kA);
  auto contact = a.contact("0xabc");
  ASSERT_TRUE(contact);
  EXPECT_EQ(contact->consent, Consent::kAllowed);
}

TEST(SyncStateTest, RemoteChangesAdvanceTheClockPastThem) {
  SyncState a(kA), b(kB);
  Change far = *b.apply_local(changes::setting("display_name", "B"));
  far.stamp.clock = 41;
  ASSERT_TRUE(a.apply(far));
  EXPECT_EQ(a.clock(), 41u);
  auto mine = a.apply_local(changes::setting("display_name", "A"));
  ASSERT_TRUE(mine);
  EXPECT_EQ(mine->stamp.clock, 42u);
  EXPECT_EQ(a.setting("display_name"), "A");
}

TEST(SyncStateTest, GreaterClockThenInstallationWins) {
  SyncState a(kA), b(kB);
  Change from_a = *a.apply_local(changes::setting("display_name", "from a"));
  Change from_b = *b.apply_local(changes::setting("display_name", "from b"));
  ASSERT_EQ(from_a.stamp.clock, from_b.stamp.clock);
  ASSERT_TRUE(a.apply(from_b));
  ASSERT_TRUE(b.apply(from_a));
  EXPECT_EQ(a.setting("display_name"), "from b");  // same clock: the greater installation id wins
  EXPECT_EQ(a.encode(), b.encode());
}

TEST(SyncStateTest, ReadMarkersOnlyMoveForward) {
  SyncState a(kA), b(kB);
  Change later = *a.apply_local(changes::read_up_to("t", 500));
  ASSERT_TRUE(b.apply(later));
  Change earlier = *b.apply_local(changes::read_up_to("t", 100));  // newer stamp, older marker
  EXPECT_EQ(b.conversation("t").read_up_to_ns, 500u);
  ASSERT_TRUE(a.apply(earlier));
  EXPECT_EQ(a.conversation("t").read_up_to_ns, 500u);
  EXPECT_EQ(a.encode(), b.encode());
}

TEST(SyncStateTest, ContactsKeepTombstones) {
  SyncState a(kA), b(kB);
  Change added = *a.apply_local(changes::contact_added("0xabc"));
  ASSERT_TRUE(b.apply(added));
  Change removed = *b.apply_local(changes::contact_removed("0xabc"));
  // The add arrives again (a duplicate from the mailbox): the tombstone holds.
  ASSERT_TRUE(b.apply(added));
  EXPECT_FALSE(b.contact("0xabc"));
  ASSERT_TRUE(a.apply(removed));
  EXPECT_TRUE(a.contacts().empty());
  Change again = *a.apply_local(changes::contact_added("0xabc"));
  ASSERT_TRUE(b.apply(again));
  EXPECT_EQ(b.contacts().size(), 1u);
}

TEST(SyncStateTest, ApplyIsIdempotent) {
  SyncState a(kA), b(kB);
  Change change = *a.apply_local(changes::muted("t", true));
  EXPECT_EQ(*b.apply(change), true);
  EXPECT_EQ(*b.apply(change), false);
  EXPECT_TRUE(b.conversation("t").muted);
}

TEST(SyncStateTest, EncodeDecodeRoundTripsAndRefusesNonCanonical) {
  SyncState a(kA);
  ASSERT_TRUE(a.apply_local(changes::contact_added("0xabc")));
  ASSERT_TRUE(a.apply_local(changes::contact_name("0xabc", "Bob")));
  ASSERT_TRUE(a.apply_local(changes::archived("t", true)));
  ASSERT_TRUE(a.apply_local(changes::device_name(kB, "laptop")));
  const Bytes bytes = a.encode();
  auto decoded = SyncState::decode(bytes, kA);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->encode(), bytes);
  EXPECT_EQ(decoded->clock(), 4u);
  EXPECT_EQ(decoded->device_name(kB), "laptop");
  for (std::size_t n = 0; n < bytes.size(); ++n) EXPECT_FALSE(SyncState::decode(ByteView(bytes).first(n), kA)) << n;
}

TEST(SyncStateTest, RefusesHostileStamps) {
  SyncState a(kA);
  Change change = changes::contact_added("0xabc");
  EXPECT_FALSE(a.apply(change));  // clock 0: unstamped
  change.stamp = {~std::uint64_t{0}, kB};
  EXPECT_FALSE(a.apply(change));  // would overflow the Lamport clock
  EXPECT_EQ(a.size(), 0u);
}

}  // namespace
}  // namespace keylink::sync
