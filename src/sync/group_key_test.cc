#include "keylink/sync/group_key.h"

#include <gtest/gtest.h>

#include "keylink/base/encoding.h"
#include "keylink/sync/errors.h"
#include "keylink/sync/sync_message.h"
#include "sync/sync_testing.h"

namespace keylink::sync {
namespace {

using testing::Account;
using testing::Device;

TEST(SyncGroupKeyTest, TopicIsHexSha256OfLabelAndKey) {
  FixedRng rng(1);
  GroupKey key = GroupKey::generate(1, rng);
  const std::string topic = key.topic();
  EXPECT_EQ(topic.size(), 64u);
  EXPECT_EQ(topic, to_hex(crypto::sha256({as_bytes("keylink-sync-topic-v1"), key.key().expose()})));
  GroupKey other = GroupKey::generate(1, rng);
  EXPECT_NE(other.topic(), topic);
  EXPECT_NE(other.id(), key.id());
}

TEST(SyncGroupKeyTest, RingSendsWithTheGreatestKeyAndKeepsOldOnes) {
  FixedRng rng(2);
  GroupKeyRing ring;
  ring.add(GroupKey::generate(1, rng));
  ring.add(GroupKey::generate(3, rng));
  ring.add(GroupKey::generate(2, rng));
  EXPECT_EQ(ring.current().epoch(), 3u);
  EXPECT_EQ(ring.topics().size(), 3u);
  GroupKey again = ring.current().clone();
  ring.add(std::move(again));
  EXPECT_EQ(ring.keys().size(), 3u);
}

TEST(SyncGroupKeyTest, RingRoundTripsAsSecretBytes) {
  FixedRng rng(3);
  GroupKeyRing ring;
  ring.add(GroupKey::generate(1, rng));
  ring.add(GroupKey::generate(2, rng));
  SecretBytes stored = encode(ring);
  auto decoded = decode_group_key_ring(stored.expose());
  ASSERT_TRUE(decoded);
  ASSERT_EQ(decoded->keys().size(), 2u);
  EXPECT_EQ(decoded->current().key(), ring.current().key());
  EXPECT_EQ(decoded->current().topic(), ring.current().topic());
  for (std::size_t n = 1; n < stored.size(); ++n) EXPECT_FALSE(decode_group_key_ring(stored.expose().first(n)));
}

class SyncRotationTest : public ::testing::Test {
 protected:
  Account account;
  Device a = account.device("a"), b = account.device("b"), c = account.device("c");
  InstallationList list = account.list_of({&a, &b, &c});
};

TEST_F(SyncRotationTest, RemovedDeviceOpensNothingWrittenAfterwards) {
  GroupKeyRing ring_a, ring_b, ring_c;
  GroupKey first = GroupKey::generate(1, account.rng);
  ring_a.add(first.clone());
  ring_b.add(first.clone());
  ring_c.add(first.clone());

  auto removed = remove_installation(list, c.keys.id(), account.identity);
  ASSERT_TRUE(removed);
  auto rotated = rotate_group_key(ring_a, *removed, a.keys, account.rng);
  ASSERT_TRUE(rotated);
  EXPECT_EQ(rotated->key.epoch(), 2u);
  EXPECT_EQ(rotated->rotation.keys.size(), 1u);  // b only: a keeps its own, c is removed
  ring_a.add(rotated->key.clone());

  auto decoded = decode_key_rotation(encode(rotated->rotation));
  ASSERT_TRUE(decoded);
  auto for_b = open_rotation(*decoded, *removed, b.keys);
  ASSERT_TRUE(for_b);
  EXPECT_EQ(for_b->key(), rotated->key.key());
  ring_b.add(std::move(*for_b));

  auto for_c = open_rotation(*decoded, *removed, c.keys);
  ASSERT_FALSE(for_c);
  EXPECT_EQ(for_c.error().code, Errc::kNotForUs);
  // c, still holding the old list, is not sealed anything either.
  EXPECT_FALSE(open_rotation(*decoded, list, c.keys));

  // What a writes now, c cannot open, whatever list it holds; b can.
  SyncState state_a(a.keys.id());
  auto change = state_a.apply_local(changes::setting("display_name", "Ada"));
  ASSERT_TRUE(change);
  auto message = seal_sync_message({*change}, ring_a.current(), a.keys, account.rng);
  ASSERT_TRUE(message);
  EXPECT_TRUE(open_sync_message(*message, ring_b, *removed));
  auto on_c = open_sync_message(*message, ring_c, list);
  ASSERT_FALSE(on_c);
  EXPECT_EQ(on_c.error().code, Errc::kUnknownEpoch);
  // Even a c that pretends the message is in its epoch: the header is bound to the seal and signature.
  Bytes altered = *message;
  for (std::size_t i = 0; i < 8; ++i) altered[4 + i] = 0;
  altered[4 + 7] = 1;
  for (std::size_t i = 0; i < 8; ++i) altered[12 + i] = first.id()[i];
  EXPECT_FALSE(open_sync_message(altered, ring_c, list));
}

TEST_F(SyncRotationTest, RefusesARotationFromARemovedDeviceOrAlteredOne) {
  GroupKeyRing ring;
  ring.add(GroupKey::generate(1, account.rng));
  auto removed = remove_installation(list, c.keys.id(), account.identity);
  ASSERT_TRUE(removed);
  // c, removed, tries to hand the others a key it knows.
  auto from_c = rotate_group_key(ring, list, c.keys, account.rng);
  ASSERT_TRUE(from_c);
  auto refused = open_rotation(from_c->rotation, *removed, b.keys);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::kNotEnabled);
  EXPECT_FALSE(rotate_group_key(ring, *removed, c.keys, account.rng));

  auto from_a = rotate_group_key(ring, *removed, a.keys, account.rng);
  ASSERT_TRUE(from_a);
  KeyRotation altered = from_a->rotation;
  altered.epoch = 9;
  auto bad = open_rotation(altered, *removed, b.keys);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::kBadSignature);
  KeyRotation flipped = from_a->rotation;
  flipped.keys[0].sealed[0] ^= 1;
  EXPECT_FALSE(open_rotation(flipped, *removed, b.keys));
}

TEST_F(SyncRotationTest, ConcurrentRotationsConvergeOnOneSendingKey) {
  GroupKeyRing ring_a, ring_b;
  GroupKey first = GroupKey::generate(1, account.rng);
  ring_a.add(first.clone());
  ring_b.add(first.clone());
  auto by_a = rotate_group_key(ring_a, list, a.keys, account.rng);
  auto by_b = rotate_group_key(ring_b, list, b.keys, account.rng);
  ASSERT_TRUE(by_a && by_b);
  ring_a.add(by_a->key.clone());
  ring_b.add(by_b->key.clone());
  auto b_from_a = open_rotation(by_a->rotation, list, b.keys);
  auto a_from_b = open_rotation(by_b->rotation, list, a.keys);
  ASSERT_TRUE(b_from_a && a_from_b);
  ring_b.add(std::move(*b_from_a));
  ring_a.add(std::move(*a_from_b));
  EXPECT_EQ(ring_a.current().id(), ring_b.current().id());
  EXPECT_EQ(ring_a.current().epoch(), 2u);
}

TEST(SyncKeyRotationCodecTest, RefusesTruncations) {
  Account account;
  Device a = account.device("a"), b = account.device("b");
  InstallationList list = account.list_of({&a, &b});
  GroupKeyRing ring;
  auto rotated = rotate_group_key(ring, list, a.keys, account.rng);
  ASSERT_TRUE(rotated);
  Bytes good = encode(rotated->rotation);
  ASSERT_TRUE(decode_key_rotation(good));
  for (std::size_t n = 0; n < good.size(); ++n) EXPECT_FALSE(decode_key_rotation(ByteView(good).first(n)));
}

}  // namespace
}  // namespace keylink::sync
