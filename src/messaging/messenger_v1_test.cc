// Reading XMTP V1 conversations, as older clients write them: the first message goes to the DM topic
// and both intro topics; the Messenger finds the conversation in the introduction and reads the rest on
// the DM topic.
#include <gtest/gtest.h>

#include "identity/xmtp_test_wallet.h"
#include "keylink/base/clock.h"
#include "keylink/identity/keystore_errors.h"
#include "keylink/keystore/local_keystore.h"
#include "keylink/messaging/messenger.h"
#include "keylink/wire/xmtp/content_types.h"
#include "keylink/wire/xmtp/topics.h"

namespace keylink::messaging {
namespace {

namespace wx = wire::xmtp;

struct Home {
  explicit Home(std::uint8_t key_byte)
      : wallet(key_byte),
        keystore(keystore::LocalKeystore::create(
                     wallet.db, wallet.vault, identity::XmtpIdentity::create(wallet.account, clock, wallet.rng).value(),
                     wallet.rng)
                     .value()),
        store(MessageStore::open(wallet.db, wallet.vault).value()),
        messenger(*keystore, store, wallet.rng, clock) {}
  crypto::EthAddress address() const { return crypto::EthAddress::parse(keystore->account_address()).value(); }

  // A V1 message to `to`, as an envelope on `topic`.
  wx::Envelope v1_to(const Home& to, std::string_view text, const std::string& topic) {
    const identity::EncryptV1Request request{to.keystore->legacy_public_key_bundle(), wx::encode(wx::encode_text(text)),
                                             static_cast<std::uint64_t>(clock.unix_millis())};
    auto sealed = std::move(keystore->encrypt_v1({&request, 1}).front()).value();
    return {topic, request.timestamp_ms * 1'000'000, wx::encode(sealed)};
  }

  ManualClock clock;
  identity::TestWallet wallet;
  std::unique_ptr<keystore::LocalKeystore> keystore;
  MessageStore store;
  Messenger messenger;
};

TEST(MessengerV1, AnIntroductionOpensTheConversationAndTheDmTopicCarriesTheRest) {
  Home alice(1), bob(2);
  const std::string dm = wx::dm_topic(alice.address(), bob.address());
  const auto intro = alice.v1_to(bob, "first", bob.messenger.intro_topic());
  auto opened = bob.messenger.receive_intros({&intro, 1});
  ASSERT_TRUE(opened) << opened.error().message;
  ASSERT_TRUE(opened->refused.empty()) << opened->refused[0].error.message;
  ASSERT_EQ(opened->conversations.size(), 1u);
  EXPECT_EQ(opened->conversations[0].topic, dm);
  EXPECT_EQ(opened->conversations[0].peer_address, alice.keystore->account_address());
  ASSERT_EQ(opened->messages.size(), 1u);
  EXPECT_EQ(opened->messages[0].sender_address, alice.keystore->account_address());
  EXPECT_EQ(wx::decode_text(opened->messages[0].decoded).value(), "first");

  // The same message on the DM topic is the same id: not new. The next one is.
  auto copy = intro;
  copy.content_topic = dm;
  const wx::Envelope on_dm[] = {copy, alice.v1_to(bob, "second", dm), bob.v1_to(alice, "from bob", dm)};
  auto conversation = bob.messenger.conversations(alice.keystore->account_address()).value().at(0);
  auto read = bob.messenger.receive_messages(conversation, on_dm);
  ASSERT_TRUE(read) << read.error().message;
  ASSERT_EQ(read->messages.size(), 2u);
  EXPECT_EQ(wx::decode_text(read->messages[0].decoded).value(), "second");
  EXPECT_EQ(read->messages[1].sender_address, bob.keystore->account_address());
  EXPECT_EQ(bob.store.count(dm).value(), 3);
}

TEST(MessengerV1, AMessageBetweenOtherPartiesOrAlteredIsRefused) {
  Home alice(1), bob(2), carol(3);
  const std::string dm = wx::dm_topic(alice.address(), bob.address());
  const auto intro = alice.v1_to(bob, "first", bob.messenger.intro_topic());
  ASSERT_TRUE(bob.messenger.receive_intros({&intro, 1}));
  auto conversation = bob.messenger.conversations(alice.keystore->account_address()).value().at(0);

  // Carol writes to Bob on Alice's DM topic: the header names another conversation.
  auto moved = carol.v1_to(bob, "not alice", dm);
  auto altered = alice.v1_to(bob, "altered", dm);
  altered.message[altered.message.size() - 1] ^= 1;
  const wx::Envelope bad[] = {moved, altered, {dm, 1, to_bytes("\x0a\x05trunc")}};
  auto read = bob.messenger.receive_messages(conversation, bad);
  ASSERT_TRUE(read);
  EXPECT_TRUE(read->messages.empty());
  ASSERT_EQ(read->refused.size(), 3u);
  EXPECT_EQ(read->refused[0].error.code, identity::KeystoreErrc::kBadHeader) << read->refused[0].error.message;
  EXPECT_EQ(bob.store.count(dm).value(), 1);

  // An introduction Carol cannot open (between Alice and Bob) is refused, and opens no conversation.
  auto refused = carol.messenger.receive_intros({&intro, 1});
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->refused.size(), 1u);
  EXPECT_TRUE(carol.messenger.conversations().value().empty());
}

}  // namespace
}  // namespace keylink::messaging
