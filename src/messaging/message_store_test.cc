#include "keylink/messaging/message_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <string>

#include "keylink/crypto/hash.h"
#include "keylink/store/errors.h"
#include "keylink/store/transaction.h"
#include "testing/temp_dir.h"

namespace keylink::messaging {
namespace {

using keylink::testing::TempDir;

// A home: its database and vault, with Argon2id parameters small enough for tests.
struct TestHome {
  explicit TestHome(const std::string& path, std::uint64_t seed = 7)
      : rng(seed),
        db(store::Database::open(path).value()),
        vault(store::Vault::open(db, SecretBytes(as_bytes(std::string_view("pass"))), rng, {1, std::size_t{8} << 20})
                  .value()),
        messages(MessageStore::open(db, vault, rng).value()) {}
  FixedRng rng;
  store::Database db;
  store::Vault vault;
  MessageStore messages;
};

DecodedMessage text_message(const std::string& id, const std::string& topic, std::uint64_t sent_ns,
                            const std::string& text) {
  DecodedMessage message;
  message.id = id;
  message.topic = topic;
  message.sender_address = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23";
  message.sent_ns = sent_ns;
  message.decoded.type = {"xmtp.org", "text", 1, 0};
  message.decoded.parameters["encoding"] = "UTF-8";
  message.decoded.content = to_bytes(text);
  message.content = wire::xmtp::encode(message.decoded);
  return message;
}

// A well-formed bundle; nothing here checks who signed it, so the signatures need not verify.
wire::xmtp::SignedPublicKeyBundle make_bundle(Rng& rng, std::uint64_t created_ns) {
  auto signed_key = [&](std::uint64_t ns) {
    const auto key = crypto::Secp256k1PrivateKey::generate(rng);
    const wire::xmtp::UnsignedPublicKey unsigned_key{ns, key.public_key()};
    const wire::xmtp::Signature signature{wire::xmtp::SignatureKind::kEcdsaCompact,
                                          key.sign_recoverable(crypto::sha256(wire::xmtp::encode(unsigned_key)))};
    return wire::xmtp::make_signed_public_key(unsigned_key, signature);
  };
  return {signed_key(created_ns), signed_key(created_ns + 1)};
}

std::vector<std::string> ids(const std::vector<StoredMessage>& messages) {
  std::vector<std::string> out;
  for (const auto& message : messages) out.push_back(message.id);
  return out;
}

TEST(MessageStore, AddsAndLists) {
  TempDir dir;
  TestHome home(dir.file("home.db"));
  const auto hello = text_message("aa01", "/xmtp/0/m-one/proto", 100, "hello");
  ASSERT_EQ(home.messages.add(hello, home.rng).value(), true);
  ASSERT_EQ(home.messages.add(text_message("bb02", "/xmtp/0/m-two/proto", 50, "elsewhere"), home.rng).value(), true);

  const auto listed = home.messages.messages(hello.topic).value();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].id, hello.id);
  EXPECT_EQ(listed[0].topic, hello.topic);
  EXPECT_EQ(listed[0].sender_address, hello.sender_address);
  EXPECT_EQ(listed[0].sent_ns, hello.sent_ns);
  EXPECT_EQ(listed[0].content, hello.content);
  EXPECT_EQ(home.messages.count(hello.topic).value(), 1);
  EXPECT_EQ(home.messages.count("/xmtp/0/m-none/proto").value(), 0);
  EXPECT_TRUE(home.messages.messages("/xmtp/0/m-none/proto").value().empty());
  EXPECT_FALSE(home.messages.last_message("/xmtp/0/m-none/proto").value());
}

TEST(MessageStore, AReplayedMessageWritesNothing) {
  TempDir dir;
  TestHome home(dir.file("home.db"));
  const auto first = text_message("aa01", "/xmtp/0/m-one/proto", 100, "first");
  EXPECT_TRUE(home.messages.add(first, home.rng).value());
  EXPECT_FALSE(home.messages.add(first, home.rng).value());
  // Another content under a known id does not replace the stored one.
  EXPECT_FALSE(home.messages.add(text_message("aa01", "/xmtp/0/m-one/proto", 200, "other"), home.rng).value());
  const auto listed = home.messages.messages(first.topic).value();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].content, first.content);
  EXPECT_EQ(listed[0].sent_ns, 100u);
}

// A link's history: every message, a page at a time in the order stored, copied into another home.
TEST(MessageStore, PagesEveryMessageIntoAnotherHome) {
  TempDir dir;
  TestHome home(dir.file("a.db")), other(dir.file("b.db"), 9);
  for (int i = 0; i < 7; ++i) {
    const std::string topic = i % 2 ? "/xmtp/0/m-one/proto" : "/xmtp/0/m-two/proto";
    ASSERT_TRUE(home.messages.add(text_message("id" + std::to_string(i), topic, 100 - i, "m"), home.rng));
  }
  EXPECT_EQ(home.messages.count_all().value(), 7);
  std::vector<StoredMessage> copied;
  std::int64_t after = 0;
  for (;;) {
    auto page = home.messages.page(after, 3).value();
    if (page.messages.empty()) break;
    EXPECT_LE(page.messages.size(), 3u);
    after = page.next;
    for (auto& message : page.messages) {
      ASSERT_TRUE(other.messages.add(message, other.rng).value());
      copied.push_back(std::move(message));
    }
  }
  EXPECT_EQ(ids(copied), (std::vector<std::string>{"id0", "id1", "id2", "id3", "id4", "id5", "id6"}));
  EXPECT_EQ(other.messages.messages("/xmtp/0/m-one/proto").value().size(), 3u);
  EXPECT_EQ(other.messages.messages("/xmtp/0/m-two/proto").value()[0].content,
            home.messages.messages("/xmtp/0/m-two/proto").value()[0].content);
  EXPECT_FALSE(other.messages.add(copied[0], other.rng).value());  // again: nothing written

  // Pages by size: every message once, in order.
  std::vector<std::string> paged;
  const auto bounds = home.messages.page_bounds(300).value();
  EXPECT_GT(bounds.size(), 1u);
  for (const auto& bound : bounds) {
    auto page = home.messages.page(bound.after, bound.count).value();
    EXPECT_EQ(page.messages.size(), bound.count);
    for (const auto& message : page.messages) paged.push_back(message.id);
  }
  EXPECT_EQ(paged, ids(copied));
  EXPECT_EQ(home.messages.page_bounds(1).value().size(), 7u);  // each alone when larger than the budget
  EXPECT_EQ(home.messages.page_bounds(1 << 20).value().size(), 1u);
}

TEST(MessageStore, ListsOldestFirstThenById) {
  TempDir dir;
  TestHome home(dir.file("home.db"));
  const std::string topic = "/xmtp/0/m-one/proto";
  for (const auto& [id, ns] : std::vector<std::pair<std::string, std::uint64_t>>{
           {"c3", 300}, {"b2", 100}, {"a9", 200}, {"a1", 100}, {"ff", 0}}) {
    ASSERT_TRUE(home.messages.add(text_message(id, topic, ns, id), home.rng).value());
  }
  EXPECT_EQ(ids(home.messages.messages(topic).value()), (std::vector<std::string>{"ff", "a1", "b2", "a9", "c3"}));
  const auto last = home.messages.last_message(topic).value();
  ASSERT_TRUE(last);
  EXPECT_EQ(last->id, "c3");
  EXPECT_EQ(last->content, text_message("c3", topic, 300, "c3").content);
}

TEST(MessageStore, ManyMessagesInOneTransaction) {
  TempDir dir;
  TestHome home(dir.file("home.db"));
  const std::string topic = "/xmtp/0/m-long/proto";
  constexpr int kMessages = 500;
  {
    auto txn = store::Transaction::begin(home.db).value();
    for (int i = kMessages - 1; i >= 0; --i) {
      const std::string id = "id" + std::to_string(i);
      ASSERT_TRUE(home.messages.add(text_message(id, topic, static_cast<std::uint64_t>(i), id), home.rng).value());
    }
    ASSERT_TRUE(txn.commit());
  }
  EXPECT_EQ(home.messages.count(topic).value(), kMessages);
  const auto listed = home.messages.messages(topic).value();
  ASSERT_EQ(listed.size(), static_cast<std::size_t>(kMessages));
  for (std::size_t i = 0; i < listed.size(); ++i) EXPECT_EQ(listed[i].sent_ns, i);
}

TEST(MessageStore, ContentIsSealedToItsRow) {
  TempDir dir;
  TestHome home(dir.file("home.db"));
  const std::string topic = "/xmtp/0/m-one/proto";
  const auto secret = text_message("aa01", topic, 1, "the secret plan");
  ASSERT_TRUE(home.messages.add(secret, home.rng).value());
  ASSERT_TRUE(home.messages.add(text_message("bb02", topic, 2, "another"), home.rng).value());

  auto select = home.db.prepare("SELECT sealed_content FROM xmtp_messages WHERE id = 'aa01'").value();
  ASSERT_EQ(select.step().value(), store::Statement::Step::kRow);
  const ByteView raw = select.column_blob(0);
  EXPECT_EQ(raw.size(), secret.content.size() + store::kSealedOverhead);
  const Bytes plain = to_bytes("the secret plan");
  EXPECT_EQ(std::search(raw.begin(), raw.end(), plain.begin(), plain.end()), raw.end());
  select.reset();

  ASSERT_TRUE(
      home.db.exec("UPDATE xmtp_messages SET sealed_content = "
                   "(SELECT sealed_content FROM xmtp_messages WHERE id = 'aa01') WHERE id = 'bb02'"));
  auto moved = home.messages.messages(topic);
  ASSERT_FALSE(moved);
  EXPECT_EQ(moved.error().code, store::Errc::kCorrupt);
  EXPECT_NE(moved.error().message.find("bb02"), std::string::npos) << moved.error().message;
  auto last = home.messages.last_message(topic);
  ASSERT_FALSE(last);
  EXPECT_EQ(last.error().code, store::Errc::kCorrupt);
}

// Someone with the SQLite file (not the passphrase) rewrites a row: another sender, another
// conversation, another time. Each altered row is refused, naming the message; the others still open.
TEST(MessageStore, ARowWithAlteredSenderTopicOrTimeDoesNotOpen) {
  const std::string topic = "/xmtp/0/m-one/proto";
  for (const std::string change :
       {"sender = '0x0000000000000000000000000000000000000001'", "topic = '/xmtp/0/m-two/proto'", "sent_ns = 5"}) {
    TempDir dir;
    TestHome home(dir.file("home.db"));
    ASSERT_TRUE(home.messages.add(text_message("aa01", topic, 1, "kept"), home.rng).value());
    ASSERT_TRUE(home.messages.add(text_message("bb02", topic, 2, "altered"), home.rng).value());
    ASSERT_TRUE(home.db.exec("UPDATE xmtp_messages SET " + change + " WHERE id = 'bb02'"));
    const std::string altered_topic = change.starts_with("topic") ? "/xmtp/0/m-two/proto" : topic;
    auto read = home.messages.messages(altered_topic);
    ASSERT_FALSE(read) << change;
    EXPECT_EQ(read.error().code, store::Errc::kCorrupt) << change;
    EXPECT_NE(read.error().message.find("bb02"), std::string::npos) << read.error().message;
    if (altered_topic != topic) {
      EXPECT_EQ(home.messages.messages(topic).value().size(), 1u);
    }
  }
}

// A cache written when the seal named the message's id alone is resealed whole once, and reads back.
TEST(MessageStore, AnOlderCacheIsResealedOnOpen) {
  TempDir dir;
  const std::string topic = "/xmtp/0/m-one/proto";
  const auto message = text_message("aa01", topic, 1, "from before");
  {
    TestHome home(dir.file("home.db"));
    ASSERT_TRUE(home.db.exec("DELETE FROM xmtp_message_sealing"));
    auto insert = home.db
                      .prepare(
                          "INSERT INTO xmtp_messages (id, topic, sender, sent_ns, sealed_content) "
                          "VALUES ('aa01', ?1, ?2, 1, ?3)")
                      .value();
    insert.bind_text(1, topic)
        .bind_text(2, message.sender_address)
        .bind_blob(3, home.vault.seal(message.content, "xmtp-message:aa01", home.rng));
    ASSERT_TRUE(insert.run());
  }
  TestHome home(dir.file("home.db"), /*seed=*/11);
  const auto listed = home.messages.messages(topic).value();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].content, message.content);
  ASSERT_TRUE(home.db.exec("UPDATE xmtp_messages SET sent_ns = 9"));
  EXPECT_FALSE(home.messages.messages(topic));
}

TEST(MessageStore, ReadCursorNeverMovesBackwards) {
  TempDir dir;
  TestHome home(dir.file("home.db"));
  const std::string topic = "/xmtp/0/invite-x/proto";
  EXPECT_EQ(home.messages.read_cursor(topic).value(), 0);
  ASSERT_TRUE(home.messages.set_read_cursor(topic, 500));
  ASSERT_TRUE(home.messages.set_read_cursor(topic, 300));
  EXPECT_EQ(home.messages.read_cursor(topic).value(), 500);
  ASSERT_TRUE(home.messages.set_read_cursor(topic, 900));
  EXPECT_EQ(home.messages.read_cursor(topic).value(), 900);
  EXPECT_EQ(home.messages.read_cursor("/xmtp/0/other/proto").value(), 0);
}

TEST(MessageStore, RefusesTimestampsPastInt64) {
  TempDir dir;
  TestHome home(dir.file("home.db"));
  const std::uint64_t far = std::numeric_limits<std::uint64_t>::max();
  auto added = home.messages.add(text_message("aa01", "/xmtp/0/m-one/proto", far, "x"), home.rng);
  ASSERT_FALSE(added);
  EXPECT_EQ(added.error().code, store::Errc::kConstraint);
  EXPECT_NE(added.error().message.find("aa01"), std::string::npos) << added.error().message;
  EXPECT_EQ(home.messages.count("/xmtp/0/m-one/proto").value(), 0);
  EXPECT_FALSE(home.messages.set_last_read("/xmtp/0/m-one/proto", far));
}

TEST(MessageStore, LastReadNeverMovesBackwards) {
  TempDir dir;
  TestHome home(dir.file("home.db"));
  const std::string topic = "/xmtp/0/m-one/proto";
  EXPECT_EQ(home.messages.last_read(topic).value(), 0u);
  ASSERT_TRUE(home.messages.set_last_read(topic, 500));
  EXPECT_EQ(home.messages.last_read(topic).value(), 500u);
  ASSERT_TRUE(home.messages.set_last_read(topic, 300));
  EXPECT_EQ(home.messages.last_read(topic).value(), 500u);
  ASSERT_TRUE(home.messages.set_last_read(topic, 900));
  EXPECT_EQ(home.messages.last_read(topic).value(), 900u);
  EXPECT_EQ(home.messages.last_read("/xmtp/0/m-two/proto").value(), 0u);
}

TEST(MessageStore, ContactsKeepTheNewestBundle) {
  TempDir dir;
  TestHome home(dir.file("home.db"));
  FixedRng keys(3);
  const std::string alice = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23";
  const std::string bob = "0x0C1fE4b2a7F4E1e2b0b0C6c1d9C3b3cB5b5a5a5A";
  const auto old_bundle = make_bundle(keys, 10);
  const auto new_bundle = make_bundle(keys, 20);
  const auto older_bundle = make_bundle(keys, 5);
  EXPECT_FALSE(home.messages.contact(alice).value());

  ASSERT_TRUE(home.messages.put_contact(alice, old_bundle, 10));
  ASSERT_TRUE(home.messages.put_contact(alice, new_bundle, 20));
  ASSERT_TRUE(home.messages.put_contact(alice, older_bundle, 5));
  ASSERT_TRUE(home.messages.put_contact(alice, old_bundle, 20));  // not newer: kept
  ASSERT_TRUE(home.messages.put_contact(bob, old_bundle, 10));
  const auto stored = home.messages.contact(alice).value();
  ASSERT_TRUE(stored);
  EXPECT_EQ(wire::xmtp::encode(*stored), wire::xmtp::encode(new_bundle));
  EXPECT_EQ(home.messages.contacts().value(),
            (std::vector<std::pair<std::string, std::uint64_t>>{{bob, 10}, {alice, 20}}));

  ASSERT_TRUE(home.db.exec("UPDATE xmtp_contacts SET bundle = x'0aff' WHERE address = '" + bob + "'"));
  auto damaged = home.messages.contact(bob);
  ASSERT_FALSE(damaged);
  EXPECT_EQ(damaged.error().code, store::Errc::kCorrupt);
  EXPECT_NE(damaged.error().message.find(bob), std::string::npos) << damaged.error().message;
}

TEST(MessageStore, ConsentNewestDecisionWins) {
  TempDir dir;
  TestHome home(dir.file("home.db"));
  const std::string peer = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23";
  EXPECT_EQ(home.messages.consent(peer).value(), Consent::kUnknown);
  ASSERT_TRUE(home.messages.set_consent(peer, Consent::kAllowed, 100));
  EXPECT_EQ(home.messages.consent(peer).value(), Consent::kAllowed);
  ASSERT_TRUE(home.messages.set_consent(peer, Consent::kDenied, 50));
  EXPECT_EQ(home.messages.consent(peer).value(), Consent::kAllowed);
  ASSERT_TRUE(home.messages.set_consent(peer, Consent::kDenied, 200));
  EXPECT_EQ(home.messages.consent(peer).value(), Consent::kDenied);
  ASSERT_TRUE(home.messages.set_consent(peer, Consent::kUnknown, 200));
  EXPECT_EQ(home.messages.consent(peer).value(), Consent::kUnknown);

  EXPECT_EQ(to_string(Consent::kUnknown), "unknown");
  EXPECT_EQ(to_string(Consent::kAllowed), "allowed");
  EXPECT_EQ(to_string(Consent::kDenied), "denied");

  ASSERT_TRUE(home.db.exec("UPDATE xmtp_consent SET state = 'maybe'"));
  auto damaged = home.messages.consent(peer);
  ASSERT_FALSE(damaged);
  EXPECT_EQ(damaged.error().code, store::Errc::kCorrupt);
  EXPECT_NE(damaged.error().message.find("maybe"), std::string::npos) << damaged.error().message;
}

TEST(MessageStore, ReopenedHomeKeepsEverything) {
  TempDir dir;
  const std::string topic = "/xmtp/0/m-one/proto";
  const std::string peer = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23";
  FixedRng keys(5);
  const auto bundle = make_bundle(keys, 10);
  const auto first = text_message("aa01", topic, 1, "one");
  const auto second = text_message("bb02", topic, 2, "two");
  {
    TestHome home(dir.file("home.db"));
    ASSERT_TRUE(home.messages.add(second, home.rng).value());
    ASSERT_TRUE(home.messages.add(first, home.rng).value());
    ASSERT_TRUE(home.messages.set_last_read(topic, 2));
    ASSERT_TRUE(home.messages.put_contact(peer, bundle, 10));
    ASSERT_TRUE(home.messages.set_consent(peer, Consent::kAllowed, 3));
  }
  TestHome home(dir.file("home.db"), /*seed=*/99);
  const auto listed = home.messages.messages(topic).value();
  EXPECT_EQ(ids(listed), (std::vector<std::string>{"aa01", "bb02"}));
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].content, first.content);
  EXPECT_EQ(listed[1].content, second.content);
  EXPECT_EQ(home.messages.last_read(topic).value(), 2u);
  const auto contact = home.messages.contact(peer).value();
  ASSERT_TRUE(contact);
  EXPECT_EQ(wire::xmtp::encode(*contact), wire::xmtp::encode(bundle));
  EXPECT_EQ(home.messages.consent(peer).value(), Consent::kAllowed);
  EXPECT_FALSE(home.messages.add(first, home.rng).value());
}

}  // namespace
}  // namespace keylink::messaging
