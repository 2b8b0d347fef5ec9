// A path between the devices that drops, duplicates, alters or replays messages, strangers publishing to
// the link topic, and a URI changed on the way: each is refused, and nothing is half-made.
#include <gtest/gtest.h>

#include "channel.h"
#include "keylink/link/errors.h"
#include "link_harness.h"

namespace keylink::link {
namespace {

using namespace std::chrono_literals;
using testing::all_of;
using testing::failure;
using testing::has;
using testing::Link;

// Handshake messages in order: Hello, DeviceInfo, Account, Installed, Welcome, Committed.
constexpr int kHandshakeMessages = 6;

Link::Path drop_nth(int n) {
  return [n, count = 0](Publish message) mutable {
    return count++ == n ? std::vector<Publish>{} : std::vector<Publish>{std::move(message)};
  };
}

Link::Path alter_nth(int n, std::size_t byte) {
  return [n, byte, count = 0](Publish message) mutable {
    if (count++ == n) message.message[byte % message.message.size()] ^= 0x01;
    return std::vector<Publish>{std::move(message)};
  };
}

void time_out(Link& link) {
  link.clock.advance(301s);
  link.absorb_a(link.initiator->on_timer(link.now()));
  link.absorb_b(link.joiner->on_timer(link.now()));
}

// Nothing half-made: B holds the account only after Commit, and A stores the new list only after Done,
// which comes only once B committed.
void expect_nothing_half_made(const Link& link) {
  EXPECT_TRUE(!has<Done>(link.a_events) || has<Commit>(link.b_events));
  EXPECT_TRUE(has<Commit>(link.b_events) || !has<Done>(link.b_events));
}

class DropTest : public ::testing::TestWithParam<int> {};

TEST_P(DropTest, ADroppedHandshakeMessageEndsInTimeoutsNotAHalfLink) {
  Link link;
  link.path = drop_nth(GetParam());
  link.start();
  time_out(link);
  EXPECT_NE(failure(link.a_events), "");
  expect_nothing_half_made(link);
  EXPECT_FALSE(has<Done>(link.a_events));
  // Only when the last message (Committed) is lost is B a device that A has not stored: docs/linking.md.
  EXPECT_EQ(has<Commit>(link.b_events), GetParam() == kHandshakeMessages - 1);
}

INSTANTIATE_TEST_SUITE_P(EachMessage, DropTest, ::testing::Range(0, kHandshakeMessages));

class AlterTest : public ::testing::TestWithParam<std::tuple<int, std::size_t>> {};

TEST_P(AlterTest, AnAlteredMessageDoesNotOpenAndIsCounted) {
  const auto [n, byte] = GetParam();
  Link link;
  link.path = alter_nth(n, byte);
  link.start();
  EXPECT_EQ(link.initiator->unopened_messages() + link.joiner->unopened_messages(), 1u);
  time_out(link);
  const std::string reason = failure(n % 2 == 0 ? link.b_events : link.a_events);
  EXPECT_NE(reason.find("1 message on the link topic did not open"), std::string::npos) << reason;
  expect_nothing_half_made(link);
  EXPECT_FALSE(has<Done>(link.a_events));
}

// The version, type and seq bytes, a byte of the Hello's key, the body and the tag.
INSTANTIATE_TEST_SUITE_P(EachMessageAndPlace, AlterTest,
                         ::testing::Combine(::testing::Range(0, kHandshakeMessages),
                                            ::testing::Values(std::size_t{0}, std::size_t{1}, std::size_t{9},
                                                              std::size_t{12}, std::size_t{60}, std::size_t{1000})));

TEST(LinkAdversarialTest, EveryMessageDuplicatedChangesNothing) {
  Link link;
  link.path = [](Publish message) { return std::vector<Publish>{message, message}; };
  link.start();
  EXPECT_EQ(failure(link.a_events), "");
  EXPECT_EQ(failure(link.b_events), "");
  EXPECT_EQ(all_of<AskUser>(link.a_events).size(), 1u);
  EXPECT_EQ(all_of<InstallAccount>(link.b_events).size(), 1u);
  EXPECT_EQ(all_of<Commit>(link.b_events).size(), 1u);
  EXPECT_EQ(link.b_history, link.history);
  EXPECT_TRUE(has<HistoryDone>(link.a_events));
  EXPECT_TRUE(has<HistoryDone>(link.b_events));
  EXPECT_EQ(link.joiner->unopened_messages(), 0u);
}

TEST(LinkAdversarialTest, AMessageOfAnotherLinkDoesNotOpen) {
  Link earlier(3, 4);
  earlier.start();
  ASSERT_TRUE(has<HistoryDone>(earlier.b_events));

  Link link;
  link.make_code();
  link.show_uri(link.code.text());
  const std::string b_topic = topic_text(link.joiner->uri().topic);
  // Each of the earlier link's messages to its B, replayed to this B before and during this link.
  for (const Bytes& old : earlier.published_by_a()) link.absorb_b(link.joiner->on_message(b_topic, old, link.now()));
  EXPECT_EQ(link.joiner->unopened_messages(), earlier.published_by_a().size());
  ASSERT_FALSE(link.read_uri(link.joiner->uri().to_string()));
  link.pump();
  for (const Bytes& old : earlier.published_by_a()) link.absorb_b(link.joiner->on_message(b_topic, old, link.now()));
  EXPECT_EQ(failure(link.b_events), "");
  EXPECT_EQ(link.b_history, link.history);
  EXPECT_EQ(all_of<InstallAccount>(link.b_events).size(), 1u);
}

TEST(LinkAdversarialTest, AReplayOfTheSameSeedsIsADuplicateOrAGap) {
  Link earlier;  // the same seeds: the same keys and topics, so byte for byte the same messages
  earlier.start();
  const std::vector<Bytes> old = earlier.published_by_a();
  ASSERT_GE(old.size(), 3u);

  Link link;
  link.answer_user = false;
  link.start();  // B has answered the Hello and waits for the Account
  const std::string b_topic = topic_text(link.joiner->uri().topic);
  link.absorb_b(link.joiner->on_message(b_topic, old[0], link.now()));  // the Hello again: a duplicate
  EXPECT_EQ(failure(link.b_events), "");
  link.absorb_b(link.joiner->on_message(b_topic, old[2], link.now()));  // the Welcome before the Account
  EXPECT_NE(failure(link.b_events).find("sequence gap"), std::string::npos);
  EXPECT_FALSE(has<InstallAccount>(link.b_events));
}

TEST(LinkAdversarialTest, AStrangerOnTheTopicIsCountedAndIgnored) {
  Link link;
  link.make_code();
  link.show_uri(link.code.text());
  const std::string b_topic = topic_text(link.joiner->uri().topic);
  FixedRng noise(99);
  for (std::size_t size : {0, 1, 10, 41, 42, 58, 200}) {
    Bytes junk(size);
    noise.fill(junk);
    if (size > 1) junk[0] = 1, junk[1] = 1;  // a Hello's version and type
    link.absorb_b(link.joiner->on_message(b_topic, junk, link.now()));
  }
  EXPECT_EQ(link.joiner->unopened_messages(), 7u);
  EXPECT_EQ(failure(link.b_events), "");
  ASSERT_FALSE(link.read_uri(link.joiner->uri().to_string()));
  link.pump();
  EXPECT_TRUE(has<HistoryDone>(link.b_events));
}

TEST(LinkAdversarialTest, StrangersAreNamedInTheTimeout) {
  Link link;
  link.make_code();
  link.show_uri(link.code.text());
  const std::string b_topic = topic_text(link.joiner->uri().topic);
  link.absorb_b(link.joiner->on_message(b_topic, to_bytes("hello?"), link.now()));
  link.absorb_b(link.joiner->on_message(b_topic, to_bytes("hello!"), link.now()));
  link.clock.advance(300s);
  link.absorb_b(link.joiner->on_timer(link.now()));
  EXPECT_NE(failure(link.b_events).find("2 messages on the link topic did not open"), std::string::npos);
}

// The URI says light,full; a path that rewrites it to light gives A another transcript, so B's key
// schedule and A's differ and the Hello does not open.
TEST(LinkAdversarialTest, ACapabilityDowngradeIsCaught) {
  Link link;
  link.make_code();
  std::string uri = link.show_uri(link.code.text());
  const std::size_t at = uri.find("kl-caps=light,full");
  ASSERT_NE(at, std::string::npos);
  uri.replace(at, 18, "kl-caps=light");
  ASSERT_FALSE(link.read_uri(uri));
  link.pump();
  EXPECT_EQ(link.joiner->unopened_messages(), 1u);
  EXPECT_FALSE(has<AskUser>(link.a_events));
  time_out(link);
  EXPECT_NE(failure(link.b_events).find("did not open"), std::string::npos);
  EXPECT_NE(failure(link.a_events).find("timed out"), std::string::npos);
  EXPECT_FALSE(has<InstallAccount>(link.b_events));
}

// A URI with another code never reaches the channel: A checks its code first (and burns it). If A took
// the URI's code on trust, its transcript would still use A's own code, so B could not open the Hello.
TEST(LinkAdversarialTest, AUriWithAnotherCodeGivesNoChannel) {
  Link link;
  link.make_code();
  std::string uri = link.show_uri(link.code.text());
  const std::size_t at = uri.find("kl-code=");
  uri[at + 8] = uri[at + 8] == '0' ? '1' : '0';
  auto refused = link.read_uri(uri);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->code, Errc::kWrongCode);
  EXPECT_TRUE(link.in_flight.empty());
}

TEST(LinkAdversarialTest, AUriForAnotherTopicOrKeyGivesNoChannel) {
  for (const char* field : {"kl-pub=", "wc:"}) {
    Link link;
    link.make_code();
    std::string uri = link.show_uri(link.code.text());
    const std::size_t at = uri.find(field) + std::string_view(field).size();
    uri[at] = uri[at] == 'a' ? 'b' : 'a';
    ASSERT_FALSE(link.read_uri(uri));
    // The Hello goes to a topic B does not read, or B cannot open it with its own key.
    if (!link.in_flight.empty() && link.in_flight.front().topic == topic_text(link.joiner->uri().topic)) {
      link.pump();
      EXPECT_EQ(link.joiner->unopened_messages(), 1u);
    }
    EXPECT_FALSE(has<AskUser>(link.a_events));
  }
}

}  // namespace
}  // namespace keylink::link
