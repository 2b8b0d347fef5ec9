#include "keylink/sync/sync_message.h"

#include <gtest/gtest.h>

#include "keylink/sync/errors.h"
#include "sync/sync_testing.h"

namespace keylink::sync {
namespace {

using testing::Account;
using testing::Device;

class SyncMessageTest : public ::testing::Test {
 protected:
  SyncMessageTest() {
    ring.add(GroupKey::generate(1, account.rng));
    batch = {*state_a.apply_local(changes::contact_added("0xabc")),
             *state_a.apply_local(changes::consent("0xabc", Consent::kAllowed))};
  }

  Result<Bytes> seal_by(const Device& device) {
    return seal_sync_message(batch, ring.current(), device.keys, account.rng);
  }

  Account account;
  Device a = account.device("a"), b = account.device("b"), c = account.device("c");
  InstallationList list = account.list_of({&a, &b, &c});
  GroupKeyRing ring;
  SyncState state_a{a.keys.id()};
  std::vector<Change> batch;
};

TEST_F(SyncMessageTest, OpensAndApplies) {
  auto message = seal_by(a);
  ASSERT_TRUE(message);
  SyncState state_b(b.keys.id());
  auto applied = receive_sync_message(*message, ring, list, state_b);
  ASSERT_TRUE(applied);
  EXPECT_EQ(*applied, 2u);
  EXPECT_EQ(state_b.encode(), state_a.encode());
  EXPECT_EQ(*receive_sync_message(*message, ring, list, state_b), 0u);  // a duplicate changes nothing
}

TEST_F(SyncMessageTest, RefusesABadSeal) {
  auto message = seal_by(a);
  ASSERT_TRUE(message);
  // Flip a ciphertext byte and re-sign as a (a device with a's key, but not the group key, cannot).
  Bytes altered = *message;
  altered[4 + 8 + 8 + 32 + 12 + 4] ^= 1;
  const std::size_t signed_size = altered.size() - 64;
  auto signature =
      a.keys.signing.sign(concat(as_bytes("keylink-sync-message-v1"), ByteView(altered).first(signed_size)));
  std::copy(signature.begin(), signature.end(), altered.begin() + static_cast<std::ptrdiff_t>(signed_size));
  auto opened = open_sync_message(altered, ring, list);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, Errc::kDecryptFailed);
}

TEST_F(SyncMessageTest, RefusesAnUnknownEpoch) {
  GroupKeyRing other;
  other.add(GroupKey::generate(2, account.rng));
  auto message = seal_sync_message(batch, other.current(), a.keys, account.rng);
  ASSERT_TRUE(message);
  auto opened = open_sync_message(*message, ring, list);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, Errc::kUnknownEpoch);
}

TEST_F(SyncMessageTest, RefusesARemovedDeviceAndAGhost) {
  auto removed = remove_installation(list, c.keys.id(), account.identity);
  ASSERT_TRUE(removed);
  auto from_c = seal_by(c);  // c still holds the epoch-1 key
  ASSERT_TRUE(from_c);
  EXPECT_TRUE(open_sync_message(*from_c, ring, list));  // before its removal
  auto refused = open_sync_message(*from_c, ring, *removed);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::kNotEnabled);
  EXPECT_NE(refused.error().message.find("removed at list version 4"), std::string::npos);

  Device ghost = account.device("ghost");  // signed by the identity, never listed
  auto from_ghost = seal_by(ghost);
  ASSERT_TRUE(from_ghost);
  auto ghostly = open_sync_message(*from_ghost, ring, list);
  ASSERT_FALSE(ghostly);
  EXPECT_EQ(ghostly.error().code, Errc::kNotEnabled);
}

TEST_F(SyncMessageTest, RefusesABadSignature) {
  auto message = seal_by(a);
  ASSERT_TRUE(message);
  Bytes altered = *message;
  altered.back() ^= 1;
  auto opened = open_sync_message(altered, ring, list);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, Errc::kBadSignature);
  // b claims a's message as its own: the sender id is in the header, signed and bound to the seal.
  Bytes claimed = *message;
  std::copy(b.keys.id().begin(), b.keys.id().end(), claimed.begin() + 20);
  EXPECT_FALSE(open_sync_message(claimed, ring, list));
}

TEST_F(SyncMessageTest, TellsTheSignerOfAMessageFromAGhost) {
  Device ghost = account.device("ghost");
  auto message = seal_by(ghost);
  ASSERT_TRUE(message);
  EXPECT_EQ(open_sync_message(*message, ring, list).error().code, Errc::kNotEnabled);
  EXPECT_EQ(sync_message_signer(*message).value(), ghost.keys.id());
  Bytes forged = *message;
  forged[4 + 8 + 8] ^= 1;  // another sender id: the signature no longer holds
  EXPECT_EQ(sync_message_signer(forged).error().code, Errc::kBadSignature);
  EXPECT_FALSE(sync_message_signer(ByteView(*message).first(40)));
}

TEST_F(SyncMessageTest, RefusesChangesByAGhostAuthor) {
  Device ghost = account.device("ghost");
  Change forged = batch[0];
  forged.stamp.author = ghost.keys.id();
  auto message = seal_sync_message({forged}, ring.current(), a.keys, account.rng);
  ASSERT_TRUE(message);
  auto opened = open_sync_message(*message, ring, list);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, Errc::kNotEnabled);
}

TEST_F(SyncMessageTest, RefusesTruncations) {
  auto message = seal_by(a);
  ASSERT_TRUE(message);
  for (std::size_t n = 0; n < message->size(); ++n)
    EXPECT_FALSE(open_sync_message(ByteView(*message).first(n), ring, list));
}

// Lists and rotations travel sealed too: the relay reads no device names, and only holders of the key
// open them.
TEST_F(SyncMessageTest, AccountRecordsOpenWithTheGroupKeyOnly) {
  const Bytes list_bytes = encode(list);
  const Bytes sealed = seal_account_record(AccountRecordKind::kInstallationList, list_bytes, ring.current(), account.rng);
  EXPECT_EQ(group_topic_message(sealed), GroupTopicMessage::kAccountRecord);
  EXPECT_EQ(group_topic_message(*seal_by(a)), GroupTopicMessage::kSyncMessage);
  EXPECT_FALSE(group_topic_message(as_bytes("junk")));
  // No device name in the clear.
  const std::string text(as_chars(sealed));
  EXPECT_EQ(text.find(a.record.installation.name), std::string::npos);

  auto opened = open_account_record(sealed, ring);
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_EQ(opened->kind, AccountRecordKind::kInstallationList);
  EXPECT_EQ(opened->payload, list_bytes);

  Bytes altered = sealed;
  altered.back() ^= 1;
  EXPECT_EQ(open_account_record(altered, ring).error().code, Errc::kDecryptFailed);
  Bytes other_kind = sealed;
  other_kind[4 + 8 + 8] = 9;
  EXPECT_EQ(open_account_record(other_kind, ring).error().code, Errc::kMalformed);
  GroupKeyRing other;
  other.add(GroupKey::generate(1, account.rng));
  EXPECT_EQ(open_account_record(sealed, other).error().code, Errc::kUnknownEpoch);
  for (std::size_t n = 0; n < sealed.size(); n += 7) {
    EXPECT_FALSE(open_account_record(ByteView(sealed).first(n), ring));
  }
}

}  // namespace
}  // namespace keylink::sync
