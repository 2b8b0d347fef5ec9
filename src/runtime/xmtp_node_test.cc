// XmtpNode over the real relay (RelayCore + Server) on 127.0.0.1, two or three homes on one io_context:
// identities made on first open and their contacts published, conversations started by a first
// message, history read with keylink_query, live messages while watching, consent, and what survives
// reopening a home.
#include "keylink/runtime/xmtp_node.h"

#include <gtest/gtest.h>

#include <limits>

#include "keylink/identity/eth_account.h"
#include "keylink/identity/private_store.h"
#include "keylink/identity/xmtp_identity.h"
#include "keylink/keystore/local_keystore.h"
#include "keylink/store/transaction.h"
#include "keylink/wire/errors.h"
#include "keylink/wire/jsonrpc.h"
#include "keylink/wire/xmtp/content_types.h"
#include "keylink/wire/xmtp/linked_account.h"
#include "keylink/wire/xmtp/relay_mapping.h"
#include "keylink/wire/xmtp/topics.h"
#include "testing/loopback_relay.h"
#include "testing/run_until.h"
#include "testing/temp_dir.h"

namespace keylink::runtime {
namespace {

namespace wx = wire::xmtp;
using keylink::testing::run_until;
using keylink::testing::TempDir;

const crypto::Argon2Params kFastArgon2{1, std::size_t{8} << 20};

// One party: a home whose wallet key is 32 bytes of `wallet_byte`, and its node.
struct Party {
  Party(const std::filesystem::path& dir, std::uint64_t seed, std::uint8_t wallet_byte, boost::asio::io_context& io_in,
        const std::string& url_in, const Clock& clock_in)
      : io(io_in),
        url(url_in),
        clock(clock_in),
        rng(seed),
        home(Home::open(dir, SecretBytes(as_bytes("pass")), rng, kFastArgon2).value()) {
    EXPECT_TRUE(identity::EthAccount::import(home.db(), home.vault(), rng, Secret<32>(Bytes(32, wallet_byte))));
  }
  void open() {
    relay::ClientOptions options;
    options.url = url;
    options.backoff_initial = std::chrono::milliseconds(10);
    XmtpNodeCallbacks callbacks{
        .on_message = [this](const messaging::DecodedMessage& m,
                             const identity::ConversationReference&) { live.push_back(m); },
        .on_refused = [this](const messaging::Refusal& r) { refused.push_back(r.error.message); },
        .on_relay_state = {},
        .on_publish_error = [this](const Error& e) { publish_errors.push_back(e.message); },
    };
    node = XmtpNode::open(io, home, options, rng, clock, callbacks).value();
    node->start();
  }
  crypto::EthAddress address() const { return crypto::EthAddress::parse(node->address()).value(); }

  boost::asio::io_context& io;
  std::string url;
  const Clock& clock;
  FixedRng rng;
  Home home;
  std::unique_ptr<XmtpNode> node;
  std::vector<messaging::DecodedMessage> live;
  std::vector<std::string> refused;
  std::vector<std::string> publish_errors;
};

class XmtpNodeTest : public ::testing::Test {
 protected:
  ~XmtpNodeTest() override {
    parties.clear();
    io.run_for(std::chrono::milliseconds(10));
  }

  // A party with its node open; another home of the same wallet when `wallet_byte` repeats.
  Party& party(std::uint64_t seed, std::optional<std::uint8_t> wallet_byte = {}, bool open = true) {
    parties.push_back(std::make_unique<Party>(dir.path() / ("home" + std::to_string(seed)), seed,
                                              wallet_byte.value_or(static_cast<std::uint8_t>(seed)), io, url, clock));
    if (open) parties.back()->open();
    return *parties.back();
  }
  // Runs until every queued message reached the relay.
  bool sent(Party& p) {
    bool done = false;
    p.node->when_sent([&] { done = true; });
    return run_until(io, [&] { return done; });
  }
  Result<messaging::Messenger::Sent> send(Party& from, Party& to, std::string_view text) {
    std::optional<Result<messaging::Messenger::Sent>> answer;
    from.node->send(to.address(), wx::encode_text(text), [&](auto r) { answer = std::move(r); });
    if (!run_until(io, [&] { return answer.has_value(); })) return fail(wire::Errc::kMalformed, "no answer");
    if (*answer && !sent(from)) return fail(wire::Errc::kMalformed, "not acknowledged");
    return std::move(*answer);
  }
  Result<messaging::Received> sync(Party& p, std::optional<crypto::EthAddress> peer = {}) {
    std::optional<Result<messaging::Received>> answer;
    p.node->sync(peer, [&](auto r) { answer = std::move(r); });
    if (!run_until(io, [&] { return answer.has_value(); })) return fail(wire::Errc::kMalformed, "no answer");
    return std::move(*answer);
  }
  // Publishes straight into the relay, as a stranger who can write to any topic.
  void inject(const std::vector<wx::Envelope>& envelopes) {
    keylink::testing::CorePeer mallory("did:key:mallory");
    core->attach(mallory);
    for (const auto& envelope : envelopes) {
      core->on_frame(mallory, wire::Json{{"id", ++injected},
                                         {"jsonrpc", "2.0"},
                                         {"method", "irn_publish"},
                                         {"params",
                                          {{"topic", wx::relay_topic(envelope.content_topic)},
                                           {"message", wx::relay_payload(envelope)},
                                           {"ttl", wx::kXmtpTtlSeconds},
                                           {"tag", wx::kXmtpRelayTag}}}}
                                  .dump());
    }
    core->detach(mallory);
  }
  // `count` envelopes of distinct junk on `topic`, the relay's clock moving 1 ms every 500.
  void inject_junk(const std::string& topic, int count) {
    std::vector<wx::Envelope> junk;
    for (int i = 0; i < count; ++i) {
      junk.push_back({topic, 1'000'000ull * static_cast<std::uint64_t>(i + 1), to_bytes("junk " + std::to_string(i))});
      if (junk.size() == 500) {
        inject(junk);
        junk.clear();
        clock.advance(std::chrono::milliseconds(1));
      }
    }
    inject(junk);
    clock.advance(std::chrono::milliseconds(1));
  }
  static std::vector<std::string> texts(const std::vector<messaging::DecodedMessage>& messages) {
    std::vector<std::string> out;
    for (const auto& m : messages) out.push_back(wx::decode_text(m.decoded).value_or("?"));
    return out;
  }

  int injected = 0;
  TempDir dir;
  ManualClock clock;
  boost::asio::io_context io;
  keylink::testing::LoopbackRelay loopback{io, clock};
  std::unique_ptr<relay::RelayCore>& core = loopback.core;
  const std::string& url = loopback.url;
  std::vector<std::unique_ptr<Party>> parties;
};

TEST_F(XmtpNodeTest, AFirstMessageStartsTheConversationAndTheReplyComesBack) {
  Party& alice = party(1);
  Party& bob = party(2);
  ASSERT_TRUE(sent(bob));  // Bob's contact reached the relay

  auto first = send(alice, bob, "hello bob");
  ASSERT_TRUE(first) << first.error().message;
  auto at_bob = sync(bob);
  ASSERT_TRUE(at_bob) << at_bob.error().message;
  ASSERT_EQ(at_bob->conversations.size(), 1u);
  EXPECT_EQ(at_bob->conversations[0].peer_address, alice.node->address());
  EXPECT_EQ(texts(at_bob->messages), std::vector<std::string>{"hello bob"});
  EXPECT_EQ(at_bob->messages[0].id, first->message.id);

  ASSERT_TRUE(send(bob, alice, "hi alice"));
  auto at_alice = sync(alice, bob.address());
  ASSERT_TRUE(at_alice) << at_alice.error().message;
  EXPECT_EQ(texts(at_alice->messages), std::vector<std::string>{"hi alice"});  // her own was stored when sent
  auto topic = at_bob->conversations[0].topic;
  EXPECT_EQ(alice.node->messages().count(topic).value(), 2);
  EXPECT_EQ(bob.node->messages().count(topic).value(), 2);

  // Reading again finds nothing new: what overlaps the last read is dropped by id.
  auto again = sync(bob);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->messages.empty());
  EXPECT_TRUE(again->conversations.empty());
  EXPECT_TRUE(alice.refused.empty() && bob.refused.empty());
}

TEST_F(XmtpNodeTest, APeerWithoutAContactCannotBeMessaged) {
  Party& alice = party(1);
  std::optional<Result<messaging::Messenger::Sent>> answer;
  const auto nobody = crypto::EthAddress::parse("0x00000000000000000000000000000000000000aa").value();
  alice.node->send(nobody, wx::encode_text("anyone?"), [&](auto r) { answer = std::move(r); });
  ASSERT_TRUE(run_until(io, [&] { return answer.has_value(); }));
  ASSERT_FALSE(*answer);
  EXPECT_EQ(answer->error().code, XmtpNodeErrc::kNoContact);
  EXPECT_NE(answer->error().message.find("no XMTP identity"), std::string::npos);
  EXPECT_TRUE(alice.node->conversations()->empty());
}

TEST_F(XmtpNodeTest, WatchingDeliversNewConversationsAndMessagesOnce) {
  Party& alice = party(1);
  Party& bob = party(2);
  ASSERT_TRUE(sent(bob));
  bob.node->watch();
  ASSERT_TRUE(send(alice, bob, "one"));
  ASSERT_TRUE(run_until(io, [&] { return bob.live.size() == 1; }));
  ASSERT_TRUE(send(alice, bob, "two"));
  ASSERT_TRUE(run_until(io, [&] { return bob.live.size() == 2; }));
  EXPECT_EQ(texts(bob.live), (std::vector<std::string>{"one", "two"}));
  // A sync after watching finds them stored already.
  auto synced = sync(bob);
  ASSERT_TRUE(synced);
  EXPECT_TRUE(synced->messages.empty());
}

TEST_F(XmtpNodeTest, AReopenedHomeKeepsItsIdentityConversationsAndMessages) {
  Party& alice = party(1);
  Party& bob = party(2);
  ASSERT_TRUE(sent(bob));
  ASSERT_TRUE(send(alice, bob, "kept"));
  const std::string address = alice.node->address();
  const auto topic = alice.node->conversations()->at(0).topic;

  alice.node.reset();
  alice.open();
  EXPECT_EQ(alice.node->address(), address);
  ASSERT_EQ(alice.node->conversations()->size(), 1u);
  EXPECT_EQ(alice.node->messages().count(topic).value(), 1);
  // The contact and the backup are not published twice.
  std::optional<Result<messaging::Contact>> contact;
  bob.node->find_contact(alice.address(), [&](auto r) { contact = std::move(r); });
  ASSERT_TRUE(run_until(io, [&] { return contact.has_value(); }));
  ASSERT_TRUE(*contact) << (*contact).error().message;
  const auto kept =
      core->mailbox().history(wx::relay_topic(wx::contact_topic(alice.address())), {}, clock.unix_millis());
  EXPECT_EQ(kept.messages.size(), 2u);  // ContactBundle v1 and v2
  const auto backup =
      core->mailbox().history(wx::relay_topic(wx::private_store_topic(alice.address())), {}, clock.unix_millis());
  EXPECT_EQ(backup.messages.size(), 1u);  // the identity's backup, once
}

TEST_F(XmtpNodeTest, ANewHomeOfTheSameWalletRestoresTheIdentityAndItsConversations) {
  Party& alice = party(1);
  Party& bob = party(2);
  ASSERT_TRUE(sent(alice) && sent(bob));
  ASSERT_TRUE(send(bob, alice, "before the new device"));

  Party& again = party(3, /*wallet_byte=*/1, /*open=*/false);
  std::optional<Result<bool>> restored;
  XmtpNode::restore_identity(io, again.home, relay::ClientOptions{.url = url}, again.rng, clock,
                             [&](Result<bool> r) { restored = std::move(r); });
  ASSERT_TRUE(run_until(io, [&] { return restored.has_value(); }));
  ASSERT_TRUE(*restored) << restored->error().message;
  EXPECT_TRUE(**restored);
  again.open();
  EXPECT_EQ(again.node->address(), alice.node->address());
  EXPECT_EQ(wx::encode(again.node->keystore().public_key_bundle()),
            wx::encode(alice.node->keystore().public_key_bundle()));
  auto synced = sync(again);
  ASSERT_TRUE(synced) << synced.error().message;
  EXPECT_EQ(texts(synced->messages), std::vector<std::string>{"before the new device"});

  // A wallet with no backup: nothing to restore.
  Party& carol = party(4, std::nullopt, /*open=*/false);
  restored.reset();
  XmtpNode::restore_identity(io, carol.home, relay::ClientOptions{.url = url}, carol.rng, clock,
                             [&](Result<bool> r) { restored = std::move(r); });
  ASSERT_TRUE(run_until(io, [&] { return restored.has_value(); }));
  ASSERT_TRUE(*restored) << restored->error().message;
  EXPECT_FALSE(**restored);
}

TEST_F(XmtpNodeTest, ConsentIsRecordedForTheIdentityAndReadBackElsewhere) {
  Party& alice = party(1);
  Party& bob = party(2);
  ASSERT_TRUE(alice.node->set_consent(bob.address(), messaging::Consent::kDenied));
  ASSERT_TRUE(sent(alice));
  EXPECT_EQ(alice.node->messages().consent(bob.node->address()).value(), messaging::Consent::kDenied);

  // Another installation of the same identity: a copy of the home with a fresh cache reads it back.
  ASSERT_TRUE(alice.home.db().exec("DELETE FROM xmtp_consent"));
  std::optional<Result<void>> synced;
  alice.node->sync_consent([&](auto r) { synced = std::move(r); });
  ASSERT_TRUE(run_until(io, [&] { return synced.has_value(); }));
  ASSERT_TRUE(*synced) << (*synced).error().message;
  EXPECT_EQ(alice.node->messages().consent(bob.node->address()).value(), messaging::Consent::kDenied);
}

// A stranger who knows Bob's topics: junk and impossible dates on his invite topic and on his
// conversation with Alice. Each is refused alone, no sync fails, reading carries on past them (a bounded
// amount per sync), and what Alice sends after them arrives.
TEST_F(XmtpNodeTest, JunkAndImpossibleDatesAreRefusedAloneAndReadingCarriesOn) {
  Party& alice = party(1);
  Party& bob = party(2);
  Party& carol = party(3);
  ASSERT_TRUE(sent(bob) && sent(carol));
  ASSERT_TRUE(send(alice, bob, "one"));
  auto first = sync(bob);
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_EQ(first->conversations.size(), 1u);
  const std::string topic = first->conversations[0].topic;
  const std::string invites = wx::invite_topic(bob.address());

  clock.advance(std::chrono::milliseconds(1));
  constexpr std::uint64_t k2pow63 = 1ull << 63;
  const std::uint64_t far_future = static_cast<std::uint64_t>(clock.unix_millis() + 3'600'000'000) * 1'000'000;
  inject({{topic, k2pow63, to_bytes("junk at 2^63")},
          {topic, far_future, to_bytes("junk in a century")},
          {invites, k2pow63, to_bytes("junk at 2^63")},
          {invites, std::numeric_limits<std::uint64_t>::max(), to_bytes("junk at 2^64 - 1")}});
  inject_junk(invites, 10'250);  // more than one sync reads
  ASSERT_TRUE(send(alice, bob, "two"));
  ASSERT_TRUE(send(carol, bob, "from carol, after the junk"));

  // Every sync succeeds; Carol's invitation comes once the junk before it has been read.
  std::vector<std::string> got;
  bool carols = false;
  for (int i = 0; i < 4 && !carols; ++i) {
    auto synced = sync(bob);
    ASSERT_TRUE(synced) << i << ": " << synced.error().message;
    for (const auto& text : texts(synced->messages)) got.push_back(text);
    for (const auto& c : synced->conversations) carols = carols || c.peer_address == carol.node->address();
  }
  EXPECT_TRUE(carols);
  EXPECT_EQ(got, (std::vector<std::string>{"two", "from carol, after the junk"}));
  EXPECT_GE(bob.refused.size(), 10'254u);

  // A message after the far-future junk is read too, and Bob's conversation with Alice is as it was.
  clock.advance(std::chrono::milliseconds(1));
  ASSERT_TRUE(send(alice, bob, "three"));
  auto later = sync(bob, alice.address());
  ASSERT_TRUE(later) << later.error().message;
  EXPECT_EQ(texts(later->messages), std::vector<std::string>{"three"});
  auto conversations = bob.node->conversations(alice.address()).value();
  ASSERT_EQ(conversations.size(), 1u);
  EXPECT_EQ(conversations[0].topic, topic);
  EXPECT_EQ(bob.node->messages().count(topic).value(), 3);
}

// Contacts and backups are chosen by the creation time their signatures cover: an older bundle of the
// same wallet, republished later, is still older.
TEST_F(XmtpNodeTest, AReplayedOldBundleOrBackupDoesNotWin) {
  Party& alice = party(1);
  Party& carol = party(3, std::nullopt, /*open=*/false);
  // Carol's first identity, made and published, then her current one, made an hour later.
  auto wallet = identity::EthAccount::load(carol.home.db(), carol.home.vault()).value();
  auto old_identity = identity::XmtpIdentity::create(wallet, clock, carol.rng).value();
  const auto old_backup = identity::seal_private_store(old_identity, wallet, carol.rng).value();
  clock.advance(std::chrono::hours(1));
  carol.open();
  ASSERT_TRUE(sent(carol));
  const auto current = wx::encode(carol.node->keystore().public_key_bundle());

  // Mallory republishes the old bundle and the old backup, stamped later than everything.
  clock.advance(std::chrono::hours(1));
  auto replayed = old_identity.contact_envelopes(clock);
  replayed.push_back(identity::private_store_envelope(old_backup, wallet.address(), clock));
  inject(replayed);

  std::optional<Result<messaging::Contact>> contact;
  alice.node->find_contact(carol.address(), [&](auto r) { contact = std::move(r); });
  ASSERT_TRUE(run_until(io, [&] { return contact.has_value(); }));
  ASSERT_TRUE(*contact) << (*contact).error().message;
  EXPECT_EQ(wx::encode((*contact)->bundle), current);

  Party& again = party(4, /*wallet_byte=*/3, /*open=*/false);
  std::optional<Result<bool>> restored;
  XmtpNode::restore_identity(io, again.home, relay::ClientOptions{.url = url}, again.rng, clock,
                             [&](Result<bool> r) { restored = std::move(r); });
  ASSERT_TRUE(run_until(io, [&] { return restored.has_value(); }));
  ASSERT_TRUE(*restored && **restored);
  again.open();
  EXPECT_EQ(wx::encode(again.node->keystore().public_key_bundle()), current);
}

// Device removal: after rotate_pre_key a peer that fetches the contact gets the new pre-key (even with
// the old bundle republished later by anyone), and the conversation it starts opens on the rotated
// home, not on the removed device (a home given the identity before).
TEST_F(XmtpNodeTest, AfterANewPreKeyPeersInviteToItAndTheRemovedDeviceOpensNothing) {
  Party& alice = party(1);
  Party& bob = party(2);
  ASSERT_TRUE(sent(alice));
  auto* alice_keys = dynamic_cast<keystore::LocalKeystore*>(&alice.node->keystore());
  ASSERT_NE(alice_keys, nullptr);
  const auto old_v1 = alice_keys->legacy_public_key_bundle();
  const auto old_v2 = alice_keys->public_key_bundle();

  auto find_contact = [&](Party& from, Party& of) {
    std::optional<Result<messaging::Contact>> contact;
    from.node->find_contact(of.address(), [&](auto r) { contact = std::move(r); });
    EXPECT_TRUE(run_until(io, [&] { return contact.has_value(); }));
    return contact.value_or(fail(wire::Errc::kMalformed, "no answer"));
  };
  // Bob knew the old bundle (cached, for when the relay is out of reach).
  ASSERT_TRUE(find_contact(bob, alice));

  Party& removed = party(5, /*wallet_byte=*/1, /*open=*/false);
  {
    auto account = wx::decode_linked_account(alice_keys->linked_account().expose()).value();
    auto txn = store::Transaction::begin(removed.home.db()).value();
    ASSERT_TRUE(
        keystore::LocalKeystore::adopt(removed.home.db(), removed.home.vault(), std::move(account), removed.rng));
    ASSERT_TRUE(txn.commit());
  }
  removed.open();
  ASSERT_TRUE(sent(removed));

  clock.advance(std::chrono::seconds(1));
  ASSERT_TRUE(alice.node->rotate_pre_key());
  ASSERT_TRUE(sent(alice));
  const auto rotated = alice.node->keystore().public_key_bundle();
  ASSERT_NE(rotated.pre_key.key.key, old_v2.pre_key.key.key);
  // Mallory (or the removed device) republishes the old bundles, stamped later.
  clock.advance(std::chrono::seconds(1));
  inject(identity::contact_envelopes(alice.address(), old_v1, old_v2, clock));

  auto contact = find_contact(bob, alice);
  ASSERT_TRUE(contact) << contact.error().message;
  EXPECT_EQ(wx::encode(contact->bundle), wx::encode(rotated));
  EXPECT_EQ(wx::encode(bob.node->messages().contact(alice.node->address()).value().value()), wx::encode(rotated));

  clock.advance(std::chrono::seconds(1));
  ASSERT_TRUE(send(bob, alice, "after the removal"));
  auto at_alice = sync(alice);
  ASSERT_TRUE(at_alice) << at_alice.error().message;
  ASSERT_EQ(at_alice->conversations.size(), 1u);
  EXPECT_EQ(texts(at_alice->messages), std::vector<std::string>{"after the removal"});
  auto at_removed = sync(removed);
  ASSERT_TRUE(at_removed) << at_removed.error().message;
  EXPECT_TRUE(at_removed->conversations.empty());
  EXPECT_TRUE(at_removed->messages.empty());
  EXPECT_FALSE(removed.refused.empty());  // the invitation, which it cannot open
}

// `contacts deny`: the views hide the peer's conversations and messages unless asked for all; what the
// peer sends is still read and kept.
TEST_F(XmtpNodeTest, DeniedPeersAreHiddenUnlessAllAreAskedFor) {
  Party& alice = party(1);
  Party& bob = party(2);
  Party& carol = party(3);
  ASSERT_TRUE(sent(bob) && sent(carol));
  ASSERT_TRUE(send(alice, bob, "from alice"));
  ASSERT_TRUE(send(carol, bob, "from carol"));
  ASSERT_TRUE(bob.node->set_consent(carol.address(), messaging::Consent::kDenied));
  ASSERT_TRUE(sync(bob));

  auto shown = bob.node->conversations().value();
  ASSERT_EQ(shown.size(), 1u);
  EXPECT_EQ(shown[0].peer_address, alice.node->address());
  EXPECT_TRUE(bob.node->conversations(carol.address()).value().empty());
  auto all = bob.node->conversations(carol.address(), XmtpNode::Shown::kAll).value();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(bob.node->messages().count(all[0].topic).value(), 1);
  EXPECT_EQ(bob.node->conversations({}, XmtpNode::Shown::kAll).value().size(), 2u);

  // Watching: only Alice's message comes through.
  bob.node->watch();
  ASSERT_TRUE(send(carol, bob, "carol again"));
  ASSERT_TRUE(send(alice, bob, "alice again"));
  ASSERT_TRUE(
      run_until(io, [&] { return bob.node->messages().count(all[0].topic).value() == 2 && !bob.live.empty(); }));
  EXPECT_EQ(texts(bob.live), std::vector<std::string>{"alice again"});

  // Allowed again: shown again.
  ASSERT_TRUE(bob.node->set_consent(carol.address(), messaging::Consent::kAllowed));
  EXPECT_EQ(bob.node->conversations().value().size(), 2u);
}

}  // namespace
}  // namespace keylink::runtime
