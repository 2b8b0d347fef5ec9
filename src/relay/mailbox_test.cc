#include "keylink/relay/mailbox.h"

#include <gtest/gtest.h>

namespace keylink::relay {
namespace {

StoredMessage message(std::string topic, std::string text, std::int64_t published_at, std::int64_t ttl_ms = 1000,
                      std::uint64_t seq = 0) {
  StoredMessage m;
  m.topic = std::move(topic);
  m.message = std::move(text);
  m.published_at_ms = published_at;
  m.expires_at_ms = published_at + ttl_ms;
  m.seq = seq;
  return m;
}

// Seqs with gaps between them, as a cluster node's topic gets them (the stream holds every topic).
std::uint64_t gapped_seq(int i) { return static_cast<std::uint64_t>(i + 1) * 10; }

std::vector<std::string> texts(const Mailbox::PendingPage& page) {
  std::vector<std::string> out;
  for (const auto& [m, ref] : page.messages) out.push_back(m->message);
  return out;
}

std::vector<std::string> texts(const std::vector<const StoredMessage*>& messages) {
  std::vector<std::string> out;
  for (const auto* m : messages) out.push_back(m->message);
  return out;
}

TEST(Mailbox, TheSameMessageIsKeptOnce) {
  Mailbox mailbox;
  EXPECT_TRUE(mailbox.add(message("t", "a", 1)).message);
  EXPECT_FALSE(mailbox.add(message("t", "a", 2)).message);
  EXPECT_TRUE(mailbox.add(message("u", "a", 2)).message);  // another topic, another message
  EXPECT_EQ(mailbox.message_count(), 2u);
  EXPECT_EQ(mailbox.stored_bytes(), 2 * Mailbox::cost(1, 1));
}

// Enough messages that every part of the index grows several times, each part early at its own size:
// every message is still found, and pruning them all empties the index.
TEST(Mailbox, EveryMessageIsFoundWhileTheIndexGrows) {
  Mailbox mailbox;
  constexpr int kMessages = 600'000;
  for (int i = 0; i < kMessages; ++i) ASSERT_TRUE(mailbox.add(message("t", std::to_string(i), i)).message) << i;
  for (int i = 0; i < kMessages; i += 997) EXPECT_FALSE(mailbox.add(message("t", std::to_string(i), 0)).message) << i;
  EXPECT_EQ(mailbox.message_count(), static_cast<std::size_t>(kMessages));
  EXPECT_EQ(mailbox.prune(kMessages + 1000), static_cast<std::size_t>(kMessages));
  EXPECT_TRUE(mailbox.add(message("t", "0", kMessages + 1000)).message);  // gone, so new again
}

TEST(Mailbox, PendingSkipsAckedAndExpired) {
  Mailbox mailbox;
  const MessageRef a = mailbox.add(message("t", "a", 10)).ref;
  mailbox.add(message("t", "b", 20));
  mailbox.add(message("t", "c", 30, 5));
  mailbox.add(message("t", "d", 40));
  EXPECT_TRUE(mailbox.ack(mailbox.hold("alice"), a));
  EXPECT_FALSE(mailbox.ack(mailbox.hold("alice"), a));
  EXPECT_FALSE(mailbox.ack(mailbox.hold("alice"), MessageRef{a.log, 99}));
  EXPECT_EQ(texts(mailbox.pending(mailbox.hold("alice"), "t", 100, 10)), (std::vector<std::string>{"b", "d"}));
  EXPECT_EQ(texts(mailbox.pending(mailbox.hold("bob"), "t", 100, 2)), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(mailbox.pending(mailbox.hold("bob"), "other", 100, 10).messages.empty());
  // From a position on, with where to go on from.
  auto page = mailbox.pending(mailbox.hold("bob"), "t", 100, 1, 2);
  EXPECT_EQ(texts(page), std::vector<std::string>{"b"});
  EXPECT_EQ(page.next, 3u);
  EXPECT_TRUE(page.more);
  page = mailbox.pending(mailbox.hold("bob"), "t", 100, 5, page.next);
  EXPECT_EQ(texts(page), std::vector<std::string>{"d"});
  EXPECT_FALSE(page.more);
}

TEST(Mailbox, HistoryPagesBothWaysWithBounds) {
  Mailbox mailbox;
  for (int i = 0; i < 10; ++i) mailbox.add(message("t", std::to_string(i), i * 10, 1000, gapped_seq(i)));
  HistoryQuery query;
  query.limit = 4;
  auto first = mailbox.history("t", query, 0);
  EXPECT_EQ(texts(first.messages), (std::vector<std::string>{"0", "1", "2", "3"}));
  ASSERT_TRUE(first.next);
  query.after = first.next;
  auto second = mailbox.history("t", query, 0);
  EXPECT_EQ(texts(second.messages), (std::vector<std::string>{"4", "5", "6", "7"}));
  query.after = second.next;
  auto last = mailbox.history("t", query, 0);
  EXPECT_EQ(texts(last.messages), (std::vector<std::string>{"8", "9"}));
  EXPECT_FALSE(last.next);

  HistoryQuery bounded;
  bounded.descending = true;
  bounded.start_ms = 20;
  bounded.end_ms = 60;
  bounded.limit = 3;
  auto page = mailbox.history("t", bounded, 0);
  EXPECT_EQ(texts(page.messages), (std::vector<std::string>{"6", "5", "4"}));
  bounded.after = page.next;
  EXPECT_EQ(texts(mailbox.history("t", bounded, 0).messages), (std::vector<std::string>{"3", "2"}));
}

TEST(Mailbox, ACursorSurvivesPruningOfWhatItPointsAt) {
  Mailbox mailbox;
  for (int i = 0; i < 6; ++i) mailbox.add(message("t", std::to_string(i), 0, i < 3 ? 10 : 1000, gapped_seq(i)));
  HistoryQuery query;
  query.limit = 2;
  auto page = mailbox.history("t", query, 0);
  ASSERT_TRUE(page.next);
  mailbox.prune(100);
  query.after = page.next;
  EXPECT_EQ(texts(mailbox.history("t", query, 100).messages), (std::vector<std::string>{"3", "4"}));
  query.after = gapped_seq(2) + 1;  // a seq no message has: the next one on
  EXPECT_EQ(texts(mailbox.history("t", query, 100).messages), (std::vector<std::string>{"3", "4"}));
  query.descending = true;
  query.after = 1000;  // past the end
  EXPECT_EQ(texts(mailbox.history("t", query, 100).messages), (std::vector<std::string>{"5", "4"}));
  query.after = gapped_seq(4);
  EXPECT_EQ(texts(mailbox.history("t", query, 100).messages), (std::vector<std::string>{"3"}));
}

// A cluster node's acks name a message by topic and seq.
TEST(Mailbox, LocateFindsAKeptMessageBySeq) {
  Mailbox mailbox;
  std::vector<MessageRef> refs;
  for (int i = 0; i < 4; ++i) refs.push_back(mailbox.add(message("t", std::to_string(i), 0, i == 0 ? 10 : 1000, gapped_seq(i))).ref);
  auto found = mailbox.locate("t", gapped_seq(2));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->position, refs[2].position);
  EXPECT_FALSE(mailbox.locate("t", gapped_seq(2) + 1));
  EXPECT_FALSE(mailbox.locate("other", gapped_seq(2)));
  mailbox.prune(100);
  EXPECT_FALSE(mailbox.locate("t", gapped_seq(0)));  // expired and gone
  EXPECT_TRUE(mailbox.locate("t", gapped_seq(1)));
}

TEST(Mailbox, TheAddingClientHasAckedAndRefsOutliveTheirMessage) {
  Mailbox mailbox;
  const auto added = mailbox.add(message("t", "a", 0, 10), mailbox.hold("alice"));
  EXPECT_TRUE(mailbox.pending(mailbox.hold("alice"), "t", 1, 10).messages.empty());
  EXPECT_TRUE(mailbox.ack(mailbox.hold("bob"), added.ref));
  EXPECT_FALSE(mailbox.ack(mailbox.hold("bob"), added.ref));
  EXPECT_EQ(mailbox.message(added.ref)->message, "a");
  mailbox.prune(100);
  EXPECT_FALSE(mailbox.ack(mailbox.hold("carol"), added.ref));  // gone: ignored, never another message
  EXPECT_EQ(mailbox.message(added.ref), nullptr);
  mailbox.add(message("t", "b", 100));
  EXPECT_EQ(mailbox.message(added.ref), nullptr);
}

TEST(Mailbox, PruneForgetsExpiredMessagesAndTheirAcks) {
  Mailbox mailbox;
  const MessageRef old = mailbox.add(message("t", "old", 0, 100)).ref;
  mailbox.add(message("t", "new", 0, 1000));
  mailbox.ack(mailbox.hold("alice"), old);
  EXPECT_EQ(mailbox.prune(500), 1u);
  EXPECT_EQ(mailbox.message_count(), 1u);
  EXPECT_EQ(mailbox.stored_bytes(), Mailbox::cost(1, 3));
  EXPECT_FALSE(mailbox.ack(mailbox.hold("alice"), old));
  EXPECT_TRUE(mailbox.add(message("t", "old", 600)).message);  // the same text may come back once expired
}

// A relay sees clients come and go for months: an id is kept only while a connection or an ack of a kept
// message holds it, and its number then serves another client, which inherits none of its acks.
TEST(Mailbox, AClientIdIsForgottenOnceNothingHoldsIt) {
  Mailbox mailbox;
  const ClientNumber alice = mailbox.hold("alice");  // connected
  const MessageRef a = mailbox.add(message("t", "a", 0, 100)).ref;
  mailbox.add(message("t", "b", 0, 1000), alice);  // hers: she counts as having acked it
  EXPECT_TRUE(mailbox.ack(alice, a));
  mailbox.release(alice);  // gone; her acks still hold her number
  EXPECT_EQ(mailbox.known_client("alice"), alice);
  EXPECT_EQ(mailbox.prune(500), 1u);
  EXPECT_EQ(mailbox.known_client("alice"), alice);
  EXPECT_EQ(mailbox.prune(5000), 1u);
  EXPECT_EQ(mailbox.known_client("alice"), std::nullopt);
  EXPECT_EQ(mailbox.client_count(), 0u);

  const ClientNumber bob = mailbox.hold("bob");
  EXPECT_EQ(bob, alice);  // free again
  mailbox.add(message("t", "c", 6000));
  EXPECT_EQ(texts(mailbox.pending(bob, "t", 6000, 10)), std::vector<std::string>{"c"});
  EXPECT_TRUE(mailbox.ack(bob, mailbox.add(message("t", "d", 6000)).ref));
  EXPECT_NE(mailbox.hold("alice"), bob);  // back, and another number while bob holds his
  EXPECT_EQ(mailbox.client_count(), 2u);
}

TEST(Mailbox, PruneGoesInBoundedBatchesSoonestFirst) {
  Mailbox mailbox;
  std::vector<MessageRef> refs;
  for (int i = 0; i < 10; ++i) {
    refs.push_back(mailbox.add(message("t" + std::to_string(i % 3), std::to_string(i), 0, 100 - i)).ref);
  }
  mailbox.add(message("t0", "lasting", 0, 10'000));
  EXPECT_EQ(mailbox.prune(200, 4), 4u);
  EXPECT_EQ(mailbox.message_count(), 7u);
  EXPECT_FALSE(mailbox.ack(mailbox.hold("a"), refs[9]));  // the soonest expiring went first
  EXPECT_EQ(mailbox.prune(200), 6u);
  EXPECT_EQ(mailbox.prune(200), 0u);
  EXPECT_EQ(texts(mailbox.pending(mailbox.hold("a"), "t0", 200, 10)), std::vector<std::string>{"lasting"});
}

// Millions of tiny messages must count for the memory they take, not for their few bytes of text.
TEST(Mailbox, AMessageCostsItsBytesAndAnOverhead) {
  EXPECT_GE(Mailbox::cost(0, 0), 128u);
  EXPECT_EQ(Mailbox::cost(64, 10) - Mailbox::cost(0, 0), 74u);
}

// Quotas: each payer is charged what its kept messages cost, and refunded as they expire; a payer with
// messages kept is known after its connection went.
TEST(Mailbox, PayersAreChargedUntilTheirMessagesGo) {
  Mailbox mailbox;
  const ClientNumber alice = mailbox.hold("alice");
  const ClientNumber network = mailbox.hold(Mailbox::network_account("192.0.2.7"));
  mailbox.add(message("t", "a", 0, 100), alice, {alice, network});
  mailbox.add(message("t", "bb", 0, 200), alice, {alice, network});
  mailbox.add(message("t", "bb", 0, 200), alice, {alice, network});  // the same message: kept and paid once
  EXPECT_EQ(mailbox.stored_bytes(alice), Mailbox::cost(1, 1) + Mailbox::cost(1, 2));
  EXPECT_EQ(mailbox.stored_bytes(network), mailbox.stored_bytes(alice));
  mailbox.release(alice);
  mailbox.release(network);
  EXPECT_EQ(mailbox.known_client("alice"), alice);  // its messages hold it
  EXPECT_EQ(mailbox.prune(150), 1u);
  EXPECT_EQ(mailbox.stored_bytes(alice), Mailbox::cost(1, 2));
  EXPECT_EQ(mailbox.prune(250), 1u);
  EXPECT_EQ(mailbox.known_client("alice"), std::nullopt);
  EXPECT_EQ(mailbox.client_count(), 0u);
}

}  // namespace
}  // namespace keylink::relay
