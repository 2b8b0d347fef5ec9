// The Messenger between homes with real keystores: V2 conversations (invitations, messages) and what it
// refuses, and reading XMTP V1 conversations as older clients write them (the first message to the DM
// topic and both intro topics, the rest on the DM topic).
#include <gtest/gtest.h>

#include <limits>

#include "identity/xmtp_test_wallet.h"
#include "keylink/base/clock.h"
#include "keylink/crypto/errors.h"
#include "keylink/identity/keystore_errors.h"
#include "keylink/keystore/local_keystore.h"
#include "keylink/messaging/messenger.h"
#include "keylink/wire/xmtp/content_types.h"
#include "keylink/wire/xmtp/invitation.h"
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
        store(MessageStore::open(wallet.db, wallet.vault, wallet.rng).value()),
        messenger(*keystore, store, wallet.rng, clock) {}
  crypto::EthAddress address() const { return crypto::EthAddress::parse(keystore->account_address()).value(); }
  Contact contact() const { return {keystore->account_address(), keystore->public_key_bundle(), 0}; }

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

// The envelope of an invitation that lands on `home`'s invite topic.
const wx::Envelope& to(const Messenger::Started& started, const Home& home) {
  for (const auto& envelope : started.envelopes) {
    if (envelope.content_topic == home.messenger.invite_topic()) return envelope;
  }
  std::abort();
}

std::string text_of(const DecodedMessage& message) { return wx::decode_text(message.decoded).value_or("?"); }

TEST(Messenger, AnInvitationStartsTheConversationAndMessagesFlowBothWays) {
  Home alice(1), bob(2);
  auto started = alice.messenger.start(bob.contact());
  ASSERT_TRUE(started) << started.error().message;
  ASSERT_EQ(started->envelopes.size(), 2u);  // Bob's invite topic and Alice's own
  auto invited = bob.messenger.receive_invites({&to(*started, bob), 1});
  ASSERT_TRUE(invited) << invited.error().message;
  ASSERT_EQ(invited->conversations.size(), 1u);
  const auto& conversation = invited->conversations[0];
  EXPECT_EQ(conversation.topic, started->conversation.topic);
  EXPECT_EQ(conversation.peer_address, alice.keystore->account_address());

  // Deterministic: starting again finds the same topic, and the same invitation again is not new.
  EXPECT_EQ(alice.messenger.start(bob.contact())->conversation.topic, conversation.topic);
  EXPECT_TRUE(bob.messenger.receive_invites({&to(*started, bob), 1})->conversations.empty());

  auto hello = alice.messenger.send(started->conversation, wx::encode_text("hello bob"));
  ASSERT_TRUE(hello) << hello.error().message;
  auto answer = bob.messenger.send(conversation, wx::encode_text("hi alice"));
  ASSERT_TRUE(answer);
  auto at_bob = bob.messenger.receive_messages(conversation, {&hello->envelope, 1});
  ASSERT_TRUE(at_bob);
  ASSERT_EQ(at_bob->messages.size(), 1u);
  EXPECT_EQ(at_bob->messages[0].sender_address, alice.keystore->account_address());
  EXPECT_EQ(text_of(at_bob->messages[0]), "hello bob");
  EXPECT_EQ(at_bob->messages[0].id, hello->message.id);
  auto at_alice = alice.messenger.receive_messages(started->conversation, {&answer->envelope, 1});
  ASSERT_TRUE(at_alice);
  ASSERT_EQ(at_alice->messages.size(), 1u);
  EXPECT_EQ(text_of(at_alice->messages[0]), "hi alice");

  // Both sides keep both messages, also after the cache is opened again.
  auto reopened = MessageStore::open(bob.wallet.db, bob.wallet.vault, bob.wallet.rng).value();
  EXPECT_EQ(reopened.messages(conversation.topic).value().size(), 2u);
}

TEST(Messenger, RefusesAContactBundleNotSignedByItsWallet) {
  Home alice(1), bob(2), carol(3);
  // Carol's bundle offered as Bob's.
  auto impostor = alice.messenger.start({bob.keystore->account_address(), carol.keystore->public_key_bundle(), 0});
  ASSERT_FALSE(impostor);
  EXPECT_EQ(impostor.error().code, crypto::Errc::kBadSignature) << impostor.error().message;
  // Bob's bundle with its wallet signature altered.
  auto altered = bob.contact();
  altered.bundle.identity_key.signature.value.compact[5] ^= 1;
  auto forged = alice.messenger.start(altered);
  ASSERT_FALSE(forged);
  EXPECT_EQ(forged.error().code, crypto::Errc::kBadSignature) << forged.error().message;
  EXPECT_TRUE(alice.messenger.conversations().value().empty());
}

TEST(Messenger, RefusesBadInvitationsAndKeepsTheGoodOne) {
  Home alice(1), bob(2), carol(3);
  auto started = alice.messenger.start(bob.contact()).value();
  const auto good = to(started, bob);

  auto redated = good;  // the same invitation replayed with another date
  redated.timestamp_ns += 1;
  auto altered = good;  // the header's date changed to match a re-dated envelope
  auto sealed = wx::decode_sealed_invitation(altered.message).value();
  sealed.header.created_ns += 1;
  sealed.header_bytes = wx::encode(sealed.header);
  altered.message = wx::encode(sealed);
  altered.timestamp_ns = sealed.header.created_ns;
  // Sealed to Carol's keys, with a header that names Bob: the wrong pre-key for Bob.
  auto for_carol = to(alice.messenger.start(carol.contact()).value(), carol);
  auto misaddressed_invitation = wx::decode_sealed_invitation(for_carol.message).value();
  misaddressed_invitation.header.recipient = bob.keystore->public_key_bundle();
  misaddressed_invitation.header_bytes = wx::encode(misaddressed_invitation.header);
  auto misaddressed = good;
  misaddressed.message = wx::encode(misaddressed_invitation);
  auto truncated = good;
  truncated.message.resize(truncated.message.size() / 2);

  const wx::Envelope batch[] = {redated, altered, misaddressed, truncated, good};
  auto received = bob.messenger.receive_invites(batch);
  ASSERT_TRUE(received) << received.error().message;
  ASSERT_EQ(received->conversations.size(), 1u);
  EXPECT_EQ(received->conversations[0].topic, started.conversation.topic);
  ASSERT_EQ(received->refused.size(), 4u);
  for (const auto& refusal : received->refused) EXPECT_FALSE(refusal.error.message.empty());
  EXPECT_EQ(received->refused[1].error.code, crypto::Errc::kDecryptFailed) << received->refused[1].error.message;
  EXPECT_EQ(received->refused[2].error.code, crypto::Errc::kDecryptFailed) << received->refused[2].error.message;
  EXPECT_EQ(bob.messenger.conversations().value().size(), 1u);
}

TEST(Messenger, RefusesAnInvitationDatedAheadOfItsClockAlone) {
  Home alice(1), bob(2), carol(3);
  alice.clock.advance(std::chrono::hours(2));
  const auto ahead = to(alice.messenger.start(bob.contact()).value(), bob);
  const auto good = to(carol.messenger.start(bob.contact()).value(), bob);
  const wx::Envelope batch[] = {ahead, good};
  auto received = bob.messenger.receive_invites(batch);
  ASSERT_TRUE(received) << received.error().message;
  ASSERT_EQ(received->conversations.size(), 1u);
  EXPECT_EQ(received->conversations[0].peer_address, carol.keystore->account_address());
  ASSERT_EQ(received->refused.size(), 1u);
  EXPECT_EQ(received->refused[0].error.code, identity::KeystoreErrc::kBadTime) << received->refused[0].error.message;
  // Once Bob's clock has caught up, the same invitation is good.
  bob.clock.advance(std::chrono::hours(2));
  EXPECT_EQ(bob.messenger.receive_invites({&ahead, 1})->conversations.size(), 1u);
}

TEST(Messenger, RefusesBadMessagesStoresReplaysOnceAndKeepsTheGoodOnes) {
  Home alice(1), bob(2), carol(3);
  auto with_bob = alice.messenger.start(bob.contact()).value();
  auto with_carol = alice.messenger.start(carol.contact()).value();
  const auto conversation = bob.messenger.receive_invites({&to(with_bob, bob), 1})->conversations.at(0);
  ASSERT_TRUE(carol.messenger.receive_invites({&to(with_carol, carol), 1}));

  const auto good = alice.messenger.send(with_bob.conversation, wx::encode_text("good")).value().envelope;
  auto moved = alice.messenger.send(with_carol.conversation, wx::encode_text("for carol")).value().envelope;
  moved.content_topic = conversation.topic;  // a message of another conversation, put on this topic
  auto altered = alice.messenger.send(with_bob.conversation, wx::encode_text("altered")).value().envelope;
  altered.message[altered.message.size() / 2] ^= 1;  // in the ciphertext (not the sender HMAC, which readers ignore)
  auto truncated = alice.messenger.send(with_bob.conversation, wx::encode_text("truncated")).value().envelope;
  truncated.message.resize(truncated.message.size() - 20);

  const wx::Envelope batch[] = {moved, altered, truncated, good, good};
  auto received = bob.messenger.receive_messages(conversation, batch);
  ASSERT_TRUE(received) << received.error().message;
  ASSERT_EQ(received->messages.size(), 1u);  // the replayed copy is not new
  EXPECT_EQ(text_of(received->messages[0]), "good");
  ASSERT_EQ(received->refused.size(), 3u);
  EXPECT_EQ(received->refused[0].error.code, identity::KeystoreErrc::kBadHeader) << received->refused[0].error.message;
  EXPECT_EQ(received->refused[1].error.code, crypto::Errc::kDecryptFailed) << received->refused[1].error.message;
  EXPECT_FALSE(received->refused[2].error.message.empty());
  EXPECT_EQ(bob.store.count(conversation.topic).value(), 1);

  // Replayed later: still not new, and nothing refused.
  auto again = bob.messenger.receive_messages(conversation, {&good, 1});
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->messages.empty());
  EXPECT_TRUE(again->refused.empty());
}

// A party's messages dated where the cache cannot keep them (2^63 ns) or far ahead: the first is
// refused alone, the second kept; neither moves newest_ns past now + the skew, and refused envelopes
// never move it.
TEST(Messenger, ImpossibleDatesFailAloneAndNeverMoveTheMarkPastNow) {
  Home alice(1), bob(2);
  auto started = alice.messenger.start(bob.contact()).value();
  const auto conversation = bob.messenger.receive_invites({&to(started, bob), 1})->conversations.at(0);
  const auto& topic = conversation.topic;
  const std::uint64_t now = static_cast<std::uint64_t>(bob.clock.unix_millis()) * 1'000'000;
  const auto content = wx::encode(wx::encode_text("x"));
  const auto past_2262 = seal_message(*alice.keystore, topic, content, 1ull << 63).value();
  const auto ahead = seal_message(*alice.keystore, topic, content, now + 100 * kMaxClockSkewNs).value();
  const auto good = alice.messenger.send(started.conversation, wx::encode_text("good")).value().envelope;
  const wx::Envelope junk{topic, std::numeric_limits<std::uint64_t>::max(), to_bytes("junk")};

  const wx::Envelope batch[] = {past_2262, junk, ahead, good};
  auto received = bob.messenger.receive_messages(conversation, batch);
  ASSERT_TRUE(received) << received.error().message;
  EXPECT_EQ(received->messages.size(), 2u);
  ASSERT_EQ(received->refused.size(), 2u);
  EXPECT_EQ(received->refused[0].error.code, identity::KeystoreErrc::kBadTime) << received->refused[0].error.message;
  EXPECT_EQ(received->newest_ns, now + kMaxClockSkewNs);

  const wx::Envelope refused_only[] = {past_2262, junk};
  EXPECT_EQ(bob.messenger.receive_messages(conversation, refused_only)->newest_ns, 0u);
}

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
