#include "keylink/keystore/local_keystore.h"

#include <gtest/gtest.h>

#include "identity/xmtp_test_wallet.h"
#include "keylink/base/clock.h"
#include "keylink/crypto/errors.h"
#include "keylink/crypto/hash.h"
#include "keylink/crypto/secp256k1.h"
#include "keylink/crypto/xmtp/ciphertext.h"
#include "keylink/crypto/xmtp/conversation_keys.h"
#include "keylink/identity/keystore_errors.h"
#include "keylink/store/errors.h"
#include "keylink/store/transaction.h"
#include "keylink/wire/errors.h"
#include "keylink/wire/xmtp/authn.h"
#include "keylink/wire/xmtp/content.h"
#include "keylink/wire/xmtp/invitation.h"
#include "keylink/wire/xmtp/linked_account.h"
#include "keylink/wire/xmtp/private_keys.h"
#include "keylink/wire/xmtp/signatures.h"
#include "keylink/wire/xmtp/topics.h"
#include "keystore/conversation_store.h"
#include "testing/temp_dir.h"

namespace keylink::keystore {
namespace {

namespace wx = wire::xmtp;
using identity::KeystoreErrc;

constexpr std::uint64_t kNow = 1'700'000'000'000'000'000;

// A home with a wallet and its keystore.
struct Home {
  explicit Home(std::uint8_t key_byte) : wallet(key_byte) {
    auto identity = identity::XmtpIdentity::create(wallet.account, clock, wallet.rng).value();
    keystore = LocalKeystore::create(wallet.db, wallet.vault, std::move(identity), wallet.rng).value();
  }
  identity::TestWallet wallet;
  ManualClock clock;  // at kNow
  std::unique_ptr<LocalKeystore> keystore;
};

identity::CreateInviteRequest invite_to(const Home& peer, std::string conversation_id = "") {
  return {peer.keystore->public_key_bundle(), std::move(conversation_id), {{"app", "test"}}, kNow};
}

identity::SaveInviteRequest save_request(const identity::CreatedInvite& invite) {
  return {wx::invite_topic(crypto::EthAddress::parse(invite.conversation.peer_address).value()), kNow,
          invite.sealed_invitation};
}

Bytes text_content(std::string_view text) {
  wx::EncodedContent content;
  content.type = {"xmtp.org", "text", 1, 0};
  content.parameters["encoding"] = "UTF-8";
  content.content = to_bytes(text);
  return wx::encode(content);
}

Bytes header_for(const std::string& topic, std::uint64_t created_ns = kNow) {
  return wx::encode(wx::MessageHeaderV2{created_ns, topic});
}

TEST(LocalKeystore, SurvivesAReloadWithItsConversations) {
  Home alice(1), bob(2);
  auto invite = alice.keystore->create_invite(invite_to(bob, "chat/1"));
  ASSERT_TRUE(invite) << invite.error().message;
  EXPECT_EQ(invite->conversation.peer_address, bob.keystore->account_address());
  EXPECT_EQ(invite->conversation.conversation_id, "chat/1");

  auto reloaded = LocalKeystore::load(alice.wallet.db, alice.wallet.vault, alice.wallet.rng);
  ASSERT_TRUE(reloaded) << reloaded.error().message;
  EXPECT_EQ((*reloaded)->account_address(), alice.wallet.account.address().to_string());
  EXPECT_EQ(wx::encode((*reloaded)->public_key_bundle()), wx::encode(alice.keystore->public_key_bundle()));
  auto conversations = (*reloaded)->v2_conversations();
  ASSERT_TRUE(conversations);
  ASSERT_EQ(conversations->size(), 1u);
  EXPECT_EQ(conversations->front(), invite->conversation);
}

TEST(LocalKeystore, RefusesASecondIdentityAndReportsNone) {
  Home alice(1);
  auto other = identity::XmtpIdentity::create(alice.wallet.account, alice.clock, alice.wallet.rng).value();
  auto again = LocalKeystore::create(alice.wallet.db, alice.wallet.vault, std::move(other), alice.wallet.rng);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, KeystoreErrc::kIdentityExists);

  identity::TestWallet empty(3);
  auto none = LocalKeystore::load(empty.db, empty.vault, empty.rng);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, KeystoreErrc::kNoIdentity);
}

TEST(LocalKeystore, BothSidesOfAnInvitationShareTheTopicAndMessagesFlow) {
  Home alice(1), bob(2);
  auto invite = alice.keystore->create_invite(invite_to(bob));
  ASSERT_TRUE(invite) << invite.error().message;
  const auto request = save_request(*invite);
  auto saved = bob.keystore->save_invites({&request, 1});
  ASSERT_TRUE(saved[0]) << saved[0].error().message;
  EXPECT_EQ(saved[0]->topic, invite->conversation.topic);
  EXPECT_EQ(saved[0]->peer_address, alice.keystore->account_address());

  const auto& topic = invite->conversation.topic;
  const identity::EncryptV2Request encrypt{text_content("hello bob"), header_for(topic), topic};
  auto sealed = alice.keystore->encrypt_v2({&encrypt, 1});
  ASSERT_TRUE(sealed[0]) << sealed[0].error().message;
  const identity::DecryptV2Request decrypt{sealed[0]->ciphertext, encrypt.header_bytes, topic};
  auto opened = bob.keystore->decrypt_v2({&decrypt, 1});
  ASSERT_TRUE(opened[0]) << opened[0].error().message;
  auto signed_content = wx::decode_signed_content(*opened[0]);
  ASSERT_TRUE(signed_content);
  EXPECT_EQ(signed_content->payload, encrypt.content);
  EXPECT_TRUE(wx::verify_signed_content(*signed_content, encrypt.header_bytes));

  // The sender HMAC is Alice's own mark (a push server given her keys skips her messages): it checks
  // with her key for the header's period.
  auto keys = alice.keystore->v2_conversation_hmac_keys({&topic, 1}, static_cast<std::int64_t>(kNow / 1'000'000'000));
  ASSERT_TRUE(keys);
  const auto period = crypto::xmtp::thirty_day_period(static_cast<std::int64_t>(kNow / 1'000'000'000));
  bool checked = false;
  for (const auto& key : keys->at(topic)) {
    if (key.thirty_day_period != period) continue;
    const auto expected = crypto::hmac_sha256(key.key.expose(), encrypt.header_bytes);
    EXPECT_EQ(Bytes(expected.begin(), expected.end()), sealed[0]->sender_hmac);
    checked = true;
  }
  EXPECT_TRUE(checked);
}

TEST(LocalKeystore, RefusesAnAlteredOrRedatedInvitation) {
  Home alice(1), bob(2), carol(3);
  auto invite = alice.keystore->create_invite(invite_to(bob)).value();

  auto redated = save_request(invite);
  redated.timestamp_ns = kNow + 1;  // a replay on another date
  auto altered = save_request(invite);
  auto sealed = wx::decode_sealed_invitation(altered.sealed_invitation).value();
  sealed.header.created_ns += 1;
  sealed.header_bytes = wx::encode(sealed.header);
  altered.sealed_invitation = wx::encode(sealed);
  altered.timestamp_ns = sealed.header.created_ns;
  const identity::SaveInviteRequest requests[] = {redated, altered};
  auto saved = bob.keystore->save_invites(requests);
  ASSERT_FALSE(saved[0]);
  ASSERT_FALSE(saved[1]);
  EXPECT_EQ(saved[1].error().code, crypto::Errc::kDecryptFailed) << saved[1].error().message;

  auto not_mine = carol.keystore->save_invites({&requests[0], 1});
  ASSERT_FALSE(not_mine[0]);
  auto carols = save_request(invite);
  auto for_carol = carol.keystore->save_invites({&carols, 1});
  ASSERT_FALSE(for_carol[0]);
  EXPECT_EQ(for_carol[0].error().code, KeystoreErrc::kNotForMe);
  EXPECT_TRUE(bob.keystore->v2_conversations()->empty());
}

// A stranger's own identity, outside any keystore: it seals whatever invitation it likes.
struct Stranger {
  explicit Stranger(std::uint8_t key_byte)
      : wallet(key_byte), identity(identity::XmtpIdentity::create(wallet.account, clock, wallet.rng).value()) {}
  identity::TestWallet wallet;
  ManualClock clock;
  identity::XmtpIdentity identity;

  // An invitation to `topic` with a key of the stranger's choosing, dated created_ns, sealed to
  // `victim`: from the stranger, or (as_victim) naming the victim as its sender and the stranger as its
  // recipient, which the stranger can seal as well (3DH is symmetric).
  identity::SaveInviteRequest invitation(const Home& victim, const std::string& topic, std::uint64_t created_ns,
                                         bool as_victim = false) {
    const auto& mine = identity.bundle_v2();
    const auto theirs = victim.keystore->public_key_bundle();
    const auto my_bundle = wx::public_bundle(mine);
    wx::SealedInvitationHeaderV1 header{as_victim ? theirs : my_bundle, as_victim ? my_bundle : theirs, created_ns};
    Bytes header_bytes = wx::encode(header);
    const wx::InvitationV1 invitation{topic, "", {}, Secret<32>(Bytes(32, 0x5a)), std::nullopt};
    auto secret = wx::shared_secret(mine, mine.pre_keys.front().secret.public_key(), theirs, as_victim).value();
    auto ciphertext = crypto::xmtp::seal(secret.expose(), wx::encode(invitation), header_bytes, wallet.rng);
    const wx::SealedInvitation sealed{std::move(header_bytes), std::move(header), std::move(ciphertext)};
    return {wx::invite_topic(victim.wallet.account.address()), created_ns, wx::encode(sealed)};
  }
};

TEST(LocalKeystore, AStrangerWhoKnowsATopicCannotTakeItsConversationOver) {
  Home alice(1), bob(2);
  Stranger mallory(3);
  constexpr std::uint64_t kCreated = kNow + 1000;  // the keys were made at kNow
  auto request = invite_to(bob);
  request.created_ns = kCreated;
  auto invite = alice.keystore->create_invite(request).value();
  const auto& topic = invite.conversation.topic;
  auto real = save_request(invite);
  real.timestamp_ns = kCreated;
  ASSERT_TRUE(bob.keystore->save_invites({&real, 1})[0]);

  const identity::SaveInviteRequest attacks[] = {
      mallory.invitation(bob, topic, 1'000'000),     // dated 1 ms: before any of the keys
      mallory.invitation(bob, topic, kCreated + 1),  // later than the real one
      mallory.invitation(bob, topic, kNow),          // earlier than the real one, once the keys existed
      mallory.invitation(bob, topic, kNow, true),    // "sent by Bob" to Mallory
      mallory.invitation(bob, "/xmtp/0/m-" + std::string(64, 'a') + "/proto", kNow),  // a topic not derived
  };
  auto saved = bob.keystore->save_invites(attacks);
  ASSERT_EQ(saved.size(), std::size(attacks));
  ASSERT_FALSE(saved[0]);
  EXPECT_EQ(saved[0].error().code, KeystoreErrc::kBadTime) << saved[0].error().message;
  for (std::size_t i = 1; i < saved.size(); ++i) {
    ASSERT_FALSE(saved[i]) << i;
    EXPECT_EQ(saved[i].error().code, KeystoreErrc::kConflict) << i << ": " << saved[i].error().message;
  }

  // Bob's conversation is still Alice's, and what Alice seals still opens at Bob.
  auto conversations = bob.keystore->v2_conversations().value();
  ASSERT_EQ(conversations.size(), 1u);
  EXPECT_EQ(conversations[0].peer_address, alice.keystore->account_address());
  EXPECT_EQ(conversations[0].created_ns, kCreated);
  const identity::EncryptV2Request encrypt{text_content("still us"), header_for(topic), topic};
  auto sealed = alice.keystore->encrypt_v2({&encrypt, 1});
  const identity::DecryptV2Request decrypt{sealed[0]->ciphertext, encrypt.header_bytes, topic};
  EXPECT_TRUE(bob.keystore->decrypt_v2({&decrypt, 1})[0]);
}

TEST(LocalKeystore, AKnownTopicKeepsItsPeerAndKeyAndOnlyItsEarliestDate) {
  identity::TestWallet wallet(4);
  auto conversations = ConversationStore::open(wallet.db, wallet.vault).value();
  auto conversation = [](std::string peer, std::uint8_t key, std::uint64_t created_ns) {
    return StoredConversation{{"/xmtp/0/m-x/proto", created_ns, std::move(peer), "", {}}, Secret<32>(Bytes(32, key))};
  };
  ASSERT_TRUE(conversations.add(conversation("0xA", 1, 50), wallet.rng));
  auto other_peer = conversations.add(conversation("0xC", 1, 10), wallet.rng);
  ASSERT_FALSE(other_peer);
  EXPECT_EQ(other_peer.error().code, KeystoreErrc::kConflict);
  auto other_key = conversations.add(conversation("0xA", 2, 10), wallet.rng);
  ASSERT_FALSE(other_key);
  EXPECT_EQ(other_key.error().code, KeystoreErrc::kConflict);
  auto v1 = conversations.add({{"/xmtp/0/m-x/proto", 10, "0xA", "", {}}, std::nullopt}, wallet.rng);
  ASSERT_FALSE(v1);
  EXPECT_EQ(v1.error().code, KeystoreErrc::kConflict);
  EXPECT_EQ(conversations.find("/xmtp/0/m-x/proto")->reference.created_ns, 50u);

  auto earlier = conversations.add(conversation("0xA", 1, 20), wallet.rng);
  ASSERT_TRUE(earlier) << earlier.error().message;
  EXPECT_EQ((*earlier)->reference.created_ns, 20u);
  auto reopened = ConversationStore::open(wallet.db, wallet.vault).value();
  EXPECT_EQ(reopened.find("/xmtp/0/m-x/proto")->reference.created_ns, 20u);
  EXPECT_EQ(reopened.find("/xmtp/0/m-x/proto")->reference.peer_address, "0xA");
}

TEST(LocalKeystore, EncryptsOnlyForItsConversationsAndTheirOwnHeaders) {
  Home alice(1), bob(2), carol(3);
  auto invite = alice.keystore->create_invite(invite_to(bob)).value();
  const auto& topic = invite.conversation.topic;

  const identity::EncryptV2Request requests[] = {
      {text_content("x"), header_for("/xmtp/0/m-other/proto"), topic},  // another topic's header
      {text_content("x"), header_for(topic), "/xmtp/0/m-unknown/proto"},
      {to_bytes("not content"), header_for(topic), topic},
  };
  auto sealed = alice.keystore->encrypt_v2(requests);
  ASSERT_FALSE(sealed[0]);
  EXPECT_EQ(sealed[0].error().code, KeystoreErrc::kBadHeader);
  ASSERT_FALSE(sealed[1]);
  EXPECT_EQ(sealed[1].error().code, KeystoreErrc::kUnknownConversation);
  EXPECT_FALSE(sealed[2]);

  // Carol, with no key for the topic, cannot read Alice's message.
  const identity::EncryptV2Request good{text_content("secret"), header_for(topic), topic};
  auto message = alice.keystore->encrypt_v2({&good, 1});
  const identity::DecryptV2Request decrypt{message[0]->ciphertext, good.header_bytes, topic};
  auto opened = carol.keystore->decrypt_v2({&decrypt, 1});
  ASSERT_FALSE(opened[0]);
  EXPECT_EQ(opened[0].error().code, KeystoreErrc::kUnknownConversation);
}

TEST(LocalKeystore, V1MessagesOpenOnBothSidesAndNotElsewhere) {
  Home alice(1), bob(2), carol(3);
  const identity::EncryptV1Request request{bob.keystore->legacy_public_key_bundle(), text_content("v1 hello"),
                                           kNow / 1'000'000};
  auto sealed = alice.keystore->encrypt_v1({&request, 1});
  ASSERT_TRUE(sealed[0]) << sealed[0].error().message;
  const identity::DecryptV1Request decrypt{*sealed[0]};
  for (auto* keystore : {alice.keystore.get(), bob.keystore.get()}) {
    auto opened = keystore->decrypt_v1({&decrypt, 1});
    ASSERT_TRUE(opened[0]) << opened[0].error().message;
    EXPECT_EQ(*opened[0], request.payload);
  }
  EXPECT_FALSE(carol.keystore->decrypt_v1({&decrypt, 1})[0]);
}

TEST(LocalKeystore, SelfEncryptionOpensOnlyForItself) {
  Home alice(1), bob(2);
  const Bytes payload = to_bytes("allow 0xabc");
  auto sealed = alice.keystore->self_encrypt({&payload, 1});
  ASSERT_TRUE(sealed[0]);
  auto mine = alice.keystore->self_decrypt({&*sealed[0], 1});
  ASSERT_TRUE(mine[0]) << mine[0].error().message;
  EXPECT_EQ(*mine[0], payload);
  auto theirs = bob.keystore->self_decrypt({&*sealed[0], 1});
  ASSERT_FALSE(theirs[0]);
  EXPECT_EQ(theirs[0].error().code, crypto::Errc::kDecryptFailed);
  EXPECT_NE(*alice.keystore->private_preferences_topic_identifier(),
            *bob.keystore->private_preferences_topic_identifier());
}

TEST(LocalKeystore, SignsDigestsWithItsPreKeysOnly) {
  Home alice(1);
  const auto digest = crypto::sha256(as_bytes(std::string_view("a V2 message's header and content")));
  auto signature = alice.keystore->sign_digest(digest, 0);
  ASSERT_TRUE(signature) << signature.error().message;
  EXPECT_EQ(signature->kind, wx::SignatureKind::kEcdsaCompact);
  EXPECT_TRUE(crypto::secp256k1_verify(alice.keystore->public_key_bundle().pre_key.key.key, digest,
                                       signature->value.compact));
  EXPECT_FALSE(crypto::secp256k1_verify(alice.keystore->public_key_bundle().identity_key.key.key, digest,
                                        signature->value.compact));
  EXPECT_EQ(alice.keystore->sign_digest(digest, 1).error().code, KeystoreErrc::kNoPreKey);
  EXPECT_EQ(alice.keystore->sign_digest(ByteView(digest).first(31), 0).error().code, Errc::kWrongLength);

  // After a rotation, index 1 is the pre-key that was current before.
  ASSERT_TRUE(alice.keystore->rotate_pre_key(alice.clock, alice.wallet.rng));
  auto older = alice.keystore->sign_digest(digest, 1);
  ASSERT_TRUE(older) << older.error().message;
  EXPECT_EQ(older->value.compact, signature->value.compact);
}

TEST(LocalKeystore, MakesTheAuthTokenXmtpJsMakes) {
  Home alice(1);
  auto bytes = alice.keystore->create_auth_token(kNow);
  ASSERT_TRUE(bytes) << bytes.error().message;
  auto token = wx::decode_auth_token(*bytes);
  ASSERT_TRUE(token) << token.error().message;
  EXPECT_EQ(token->auth_data.wallet_addr, alice.keystore->account_address());
  EXPECT_EQ(token->auth_data.created_ns, kNow);
  EXPECT_EQ(wx::encode(token->identity_key), wx::encode(alice.keystore->legacy_public_key_bundle().identity_key));
  EXPECT_TRUE(wx::verify_auth_token_signature(*token));
  EXPECT_EQ(wx::encode(*token), *bytes);
}

TEST(LocalKeystore, KeepsRefreshJobsAcrossAReload) {
  Home alice(1);
  EXPECT_EQ(alice.keystore->refresh_job(identity::RefreshJob::kV1).value(), 0);
  ASSERT_TRUE(alice.keystore->set_refresh_job(identity::RefreshJob::kV1, 42));
  ASSERT_TRUE(alice.keystore->set_refresh_job(identity::RefreshJob::kPppp, 7));
  ASSERT_TRUE(alice.keystore->set_refresh_job(identity::RefreshJob::kV1, 43));
  auto reloaded = LocalKeystore::load(alice.wallet.db, alice.wallet.vault, alice.wallet.rng).value();
  EXPECT_EQ(reloaded->refresh_job(identity::RefreshJob::kV1).value(), 43);
  EXPECT_EQ(reloaded->refresh_job(identity::RefreshJob::kPppp).value(), 7);
  EXPECT_EQ(reloaded->refresh_job(identity::RefreshJob::kV2).value(), 0);
}

TEST(LocalKeystore, ATamperedIdentityRowDoesNotLoad) {
  Home alice(1);
  ASSERT_TRUE(alice.wallet.db.exec("UPDATE xmtp_identity SET address = '0x0000000000000000000000000000000000000001'"));
  auto loaded = LocalKeystore::load(alice.wallet.db, alice.wallet.vault, alice.wallet.rng);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, store::Errc::kCorrupt) << loaded.error().message;
}

}  // namespace
}  // namespace keylink::keystore

namespace keylink::keystore {
namespace {

// A device with no identity yet, as a new device is before its link.
struct NewDevice {
  NewDevice() : rng(9), db(store::Database::open(dir.file("home.db")).value()),
                vault(store::Vault::open(db, SecretBytes(as_bytes("pass")), rng, {1, std::size_t{8} << 20}).value()) {}
  Result<std::unique_ptr<LocalKeystore>> adopt(ByteView linked) {
    auto account = wx::decode_linked_account(linked);
    if (!account) return fail(account.error());
    auto txn = store::Transaction::begin(db).value();
    if (auto adopted = LocalKeystore::adopt(db, vault, std::move(*account), rng); !adopted) return fail(adopted.error());
    if (auto committed = txn.commit(); !committed) return fail(committed.error());
    return LocalKeystore::load(db, vault, rng);
  }
  keylink::testing::TempDir dir;
  FixedRng rng;
  store::Database db;
  store::Vault vault;
};

TEST(LinkedAccount, ANewDeviceReadsAndWritesTheConversationsOfTheAccount) {
  Home alice(1), bob(2);
  auto invite = alice.keystore->create_invite(invite_to(bob, "chat/1"));
  ASSERT_TRUE(invite);
  const auto& topic = invite->conversation.topic;
  const identity::EncryptV2Request before{text_content("before the link"), header_for(topic), topic};
  auto sealed = alice.keystore->encrypt_v2({&before, 1});
  ASSERT_TRUE(sealed[0]);

  NewDevice laptop;
  auto adopted = laptop.adopt(alice.keystore->linked_account().expose());
  ASSERT_TRUE(adopted) << adopted.error().message;
  auto& linked = **adopted;
  EXPECT_EQ(linked.account_address(), alice.keystore->account_address());
  EXPECT_EQ(wx::encode(linked.public_key_bundle()), wx::encode(alice.keystore->public_key_bundle()));
  EXPECT_EQ(linked.v2_conversations().value(), alice.keystore->v2_conversations().value());
  const identity::DecryptV2Request decrypt{sealed[0]->ciphertext, before.header_bytes, topic};
  EXPECT_TRUE(linked.decrypt_v2({&decrypt, 1})[0]);

  // What the new device writes, Bob reads as from Alice's account: signed with her bundle.
  const auto saved_request = save_request(*invite);
  ASSERT_TRUE(bob.keystore->save_invites({&saved_request, 1})[0]);
  const identity::EncryptV2Request after{text_content("from the laptop"), header_for(topic), topic};
  auto from_laptop = linked.encrypt_v2({&after, 1});
  ASSERT_TRUE(from_laptop[0]);
  const identity::DecryptV2Request read{from_laptop[0]->ciphertext, after.header_bytes, topic};
  auto opened = bob.keystore->decrypt_v2({&read, 1});
  ASSERT_TRUE(opened[0]) << opened[0].error().message;
  auto signed_content = wx::decode_signed_content(*opened[0]);
  ASSERT_TRUE(signed_content);
  EXPECT_EQ(wx::encode(signed_content->sender), wx::encode(alice.keystore->public_key_bundle()));
  EXPECT_TRUE(wx::verify_signed_content(*signed_content, after.header_bytes));
}

// An invitation from `from` to the bundle `to` advertises, dated `at` (the envelope and the header).
identity::SaveInviteRequest invite_at(const Home& from, const wx::SignedPublicKeyBundle& to, std::string id,
                                      std::uint64_t at) {
  auto invite = from.keystore->create_invite({to, std::move(id), {}, at});
  EXPECT_TRUE(invite) << invite.error().message;
  return {wx::invite_topic(from.wallet.account.address()), at, invite->sealed_invitation};
}

Result<identity::ConversationReference> open_on(LocalKeystore& keystore, const identity::SaveInviteRequest& request) {
  return std::move(keystore.save_invites({&request, 1}).front());
}

// Device removal: the removed device (here a copy of the identity taken before, on another home) opens
// no invitation sealed to the bundle advertised after; the devices that stay open both.
TEST(PreKeyRotation, TheRemovedDeviceOpensNoInvitationMadeAfterward) {
  Home alice(1), bob(2);
  const auto old_bundle = alice.keystore->public_key_bundle();
  const auto before = invite_at(bob, old_bundle, "before", kNow);
  const SecretBytes removed_copy = alice.keystore->linked_account();

  alice.clock.advance(std::chrono::seconds(1));
  ASSERT_TRUE(alice.keystore->rotate_pre_key(alice.clock, alice.wallet.rng));
  const auto new_bundle = alice.keystore->public_key_bundle();
  EXPECT_EQ(wx::encode(new_bundle.identity_key), wx::encode(old_bundle.identity_key));
  EXPECT_NE(new_bundle.pre_key.key.key, old_bundle.pre_key.key.key);
  EXPECT_EQ(alice.keystore->legacy_public_key_bundle().pre_key.key, new_bundle.pre_key.key.key);
  EXPECT_GT(identity::bundle_created_ns(new_bundle), identity::bundle_created_ns(old_bundle));
  const auto after = invite_at(bob, new_bundle, "after", kNow + 2'000'000'000);

  auto old_opened = open_on(*alice.keystore, before);
  ASSERT_TRUE(old_opened) << old_opened.error().message;
  EXPECT_EQ(old_opened->conversation_id, "before");
  auto new_opened = open_on(*alice.keystore, after);
  ASSERT_TRUE(new_opened) << new_opened.error().message;
  EXPECT_EQ(new_opened->conversation_id, "after");

  // The rotated bundle is what the home keeps: a reload (a restart) advertises and opens the same.
  auto reloaded = LocalKeystore::load(alice.wallet.db, alice.wallet.vault, alice.wallet.rng);
  ASSERT_TRUE(reloaded) << reloaded.error().message;
  EXPECT_EQ(wx::encode((*reloaded)->public_key_bundle()), wx::encode(new_bundle));
  EXPECT_TRUE(open_on(**reloaded, after));

  NewDevice removed;
  auto removed_keystore = removed.adopt(removed_copy.expose());
  ASSERT_TRUE(removed_keystore) << removed_keystore.error().message;
  EXPECT_TRUE(open_on(**removed_keystore, before));
  auto refused = open_on(**removed_keystore, after);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, wire::Errc::kMalformed) << refused.error().message;  // no such pre-key here
  EXPECT_TRUE((*removed_keystore)->v2_conversations().value().size() == 1u);

  // And a device linked after the rotation gets every pre-key.
  NewDevice linked_after;
  auto linked = linked_after.adopt(alice.keystore->linked_account().expose());
  ASSERT_TRUE(linked) << linked.error().message;
  EXPECT_TRUE(open_on(**linked, before));
  EXPECT_TRUE(open_on(**linked, after));
}

TEST(PreKeyRotation, WhatTheCallerWritesFailingLeavesTheOldPreKey) {
  Home alice(1);
  const auto old_bundle = alice.keystore->public_key_bundle();
  alice.clock.advance(std::chrono::seconds(1));
  bool called = false;
  auto rotated = alice.keystore->rotate_pre_key(
      alice.clock, alice.wallet.rng,
      [&](const wx::PublicKeyBundle& v1, const wx::SignedPublicKeyBundle& v2) -> Result<void> {
        called = true;
        EXPECT_EQ(v1.pre_key.key, v2.pre_key.key.key);
        EXPECT_NE(v2.pre_key.key.key, old_bundle.pre_key.key.key);
        return fail(store::Errc::kCorrupt, "the outbox is full");
      });
  ASSERT_FALSE(rotated);
  EXPECT_TRUE(called);
  EXPECT_EQ(rotated.error().code, store::Errc::kCorrupt);
  EXPECT_EQ(wx::encode(alice.keystore->public_key_bundle()), wx::encode(old_bundle));
  auto reloaded = LocalKeystore::load(alice.wallet.db, alice.wallet.vault, alice.wallet.rng);
  ASSERT_TRUE(reloaded);
  EXPECT_EQ(wx::encode((*reloaded)->public_key_bundle()), wx::encode(old_bundle));
}

TEST(LinkedAccount, IsRefusedByAHomeWithAnIdentityAndLeavesItAsItWas) {
  Home alice(1), carol(3);
  auto account = wx::decode_linked_account(alice.keystore->linked_account().expose());
  ASSERT_TRUE(account);
  {
    auto txn = store::Transaction::begin(carol.wallet.db).value();
    auto adopted = LocalKeystore::adopt(carol.wallet.db, carol.wallet.vault, std::move(*account), carol.wallet.rng);
    ASSERT_FALSE(adopted);
    EXPECT_EQ(adopted.error().code, KeystoreErrc::kIdentityExists);
  }
  auto reloaded = LocalKeystore::load(carol.wallet.db, carol.wallet.vault, carol.wallet.rng);
  ASSERT_TRUE(reloaded);
  EXPECT_EQ((*reloaded)->account_address(), carol.keystore->account_address());
  EXPECT_TRUE((*reloaded)->v2_conversations().value().empty());
}

TEST(LinkedAccount, DecodeRefusesWhatDoesNotCheckOut) {
  Home alice(1);
  const SecretBytes good = alice.keystore->linked_account();
  EXPECT_TRUE(wx::decode_linked_account(good.expose()));
  Bytes truncated(good.expose().begin(), good.expose().end() - 3);
  EXPECT_FALSE(wx::decode_linked_account(truncated));
  EXPECT_FALSE(wx::decode_linked_account(to_bytes("not a protobuf at all, just text")));
  EXPECT_FALSE(wx::decode_linked_account(Bytes{}));  // no bundle
  Bytes big(wx::kMaxLinkedAccountSize + 1, 0);
  EXPECT_EQ(wx::decode_linked_account(big).error().code, wire::Errc::kTooLarge);
}

}  // namespace
}  // namespace keylink::keystore
