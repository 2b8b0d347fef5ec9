// RelayClient::query (keylink_query) against the real relay (RelayCore + Server) on 127.0.0.1, all on
// one io_context: pages both ways, the cursor round trip, and each way a query can fail.
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <optional>

#include "keylink/relay/client.h"
#include "keylink/relay/errors.h"
#include "keylink/wire/jsonrpc.h"
#include "testing/run_until.h"
#include "testing/loopback_relay.h"
#include "testing/temp_dir.h"

namespace keylink::relay {
namespace {

using keylink::testing::CorePeer;
using keylink::testing::SilentRelay;
using keylink::testing::TempDir;
using Direction = QueryRequest::Direction;

const std::string kTopic(64, 'b');

class RelayClientQueryTest : public ::testing::Test {
 protected:
  RelayClientQueryTest()
      : db(store::Database::open(dir.file("home.db")).value()),
        outbox(RelayOutbox::open(db).value()),
        rng(7),
        key(crypto::Ed25519KeyPair::generate(rng)) {}
  ~RelayClientQueryTest() override {
    client.reset();
    io.run_for(std::chrono::milliseconds(10));
  }

  void make_client(const std::string& at, std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
    ClientOptions options;
    options.url = at;
    options.request_timeout = timeout;
    options.backoff_initial = std::chrono::milliseconds(10);
    options.backoff_max = std::chrono::milliseconds(100);
    RelayClient::Callbacks callbacks;
    callbacks.on_state = [this](RelayClient::State s, const std::string&) {
      if (s == RelayClient::State::kConnected) ++connects;
    };
    client = std::make_unique<RelayClient>(io, options, key, outbox, clock, rng, callbacks);
  }
  bool connect(const std::string& at) {
    make_client(at);
    client->start();
    return keylink::testing::run_until(io, [&] { return connects > 0; });
  }

  void publish_many(int count) {
    CorePeer carol("did:key:carol");
    core->attach(carol);
    for (int i = 0; i < count; ++i) {
      core->on_frame(
          carol,
          wire::Json{{"id", i + 1},
                     {"jsonrpc", "2.0"},
                     {"method", "irn_publish"},
                     {"params", {{"topic", kTopic}, {"message", "m" + std::to_string(i)}, {"ttl", 300}, {"tag", 9000}}}}
              .dump());
    }
    core->detach(carol);
  }

  // One query, run to its answer.
  Result<QueryPage> ask(QueryRequest request) {
    std::optional<Result<QueryPage>> answer;
    client->query(std::move(request), [&](Result<QueryPage> page) {
      EXPECT_FALSE(answer.has_value()) << "called back twice";
      answer = std::move(page);
    });
    EXPECT_FALSE(answer.has_value()) << "called back from within query()";
    EXPECT_TRUE(keylink::testing::run_until(io, [&] { return answer.has_value(); }));
    if (!answer) return fail(Error{make_error_code(Errc::kNotAcknowledged), "test: no answer"});
    return std::move(*answer);
  }

  // Every page of a query, following cursors; the page sizes in `sizes`.
  std::vector<std::string> all_pages(QueryRequest request, std::vector<std::size_t>& sizes) {
    std::vector<std::string> seen;
    for (int guard = 0; guard < 20; ++guard) {
      auto page = ask(request);
      EXPECT_TRUE(page) << page.error().message;
      if (!page) break;
      sizes.push_back(page->messages.size());
      for (const RelayMessage& m : page->messages) {
        EXPECT_EQ(m.topic, kTopic);
        EXPECT_EQ(m.tag, 9000);
        seen.push_back(m.message);
      }
      if (!page->cursor) break;
      request.cursor = page->cursor;
    }
    return seen;
  }

  TempDir dir;
  boost::asio::io_context io;
  SystemClock clock;
  keylink::testing::LoopbackRelay loopback{io, clock};
  std::unique_ptr<RelayCore>& core = loopback.core;
  const std::string& url = loopback.url;
  store::Database db;
  RelayOutbox outbox;
  FixedRng rng;
  crypto::Ed25519KeyPair key;
  std::unique_ptr<RelayClient> client;
  int connects = 0;
};

std::vector<std::string> names(int from, int to) {  // m<from> .. m<to>, either way, inclusive
  std::vector<std::string> out;
  for (int i = from;; i += from <= to ? 1 : -1) {
    out.push_back("m" + std::to_string(i));
    if (i == to) break;
  }
  return out;
}

TEST_F(RelayClientQueryTest, PagesAscendingAndDescendingFollowingCursors) {
  ASSERT_TRUE(connect(url));
  publish_many(25);
  std::vector<std::size_t> sizes;
  EXPECT_EQ(all_pages({.topic = kTopic, .limit = 10}, sizes), names(0, 24));
  EXPECT_EQ(sizes, (std::vector<std::size_t>{10, 10, 5}));
  sizes.clear();
  EXPECT_EQ(all_pages({.topic = kTopic, .limit = 10, .direction = Direction::kDescending}, sizes), names(24, 0));
  EXPECT_EQ(sizes, (std::vector<std::size_t>{10, 10, 5}));

  auto everything = ask({.topic = kTopic, .limit = 1000});
  ASSERT_TRUE(everything) << everything.error().message;
  EXPECT_EQ(everything->messages.size(), 25u);
  EXPECT_FALSE(everything->cursor.has_value());
  auto none = ask({.topic = std::string(64, 'c')});
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_TRUE(none->messages.empty());
}

TEST_F(RelayClientQueryTest, CursorRoundTripGivesTheSamePageAndBoundsAreInclusive) {
  ASSERT_TRUE(connect(url));
  publish_many(25);
  auto first = ask({.topic = kTopic, .limit = 10});
  ASSERT_TRUE(first && first->cursor);
  auto second = ask({.topic = kTopic, .cursor = first->cursor, .limit = 10});
  auto again = ask({.topic = kTopic, .cursor = first->cursor, .limit = 10});
  ASSERT_TRUE(second && again);
  std::vector<std::string> a, b;
  for (auto& m : second->messages) a.push_back(m.message);
  for (auto& m : again->messages) b.push_back(m.message);
  EXPECT_EQ(a, names(10, 19));
  EXPECT_EQ(a, b);
  EXPECT_EQ(second->cursor, again->cursor);

  // The bounds of publishedAt: a range from the first message's ms to the last's holds them all.
  const std::int64_t start = first->messages.front().published_at;
  auto all = ask({.topic = kTopic, .limit = 1000});
  ASSERT_TRUE(all);
  const std::int64_t end = all->messages.back().published_at;
  auto bounded = ask({.topic = kTopic, .start_ms = start, .end_ms = end, .limit = 1000});
  ASSERT_TRUE(bounded);
  EXPECT_EQ(bounded->messages.size(), 25u);
  auto after = ask({.topic = kTopic, .start_ms = end + 1, .limit = 1000});
  ASSERT_TRUE(after);
  EXPECT_TRUE(after->messages.empty());
}

TEST_F(RelayClientQueryTest, RefusedParamsNameTheRelaysMessage) {
  ASSERT_TRUE(connect(url));
  auto zero = ask({.topic = kTopic, .limit = 0});
  ASSERT_FALSE(zero);
  EXPECT_EQ(zero.error().code, Errc::kRefused);
  EXPECT_EQ(zero.error().message, "relay refused keylink_query: params.limit must be 1 to 1000");
  auto cursor = ask({.topic = kTopic, .cursor = "not-a-cursor"});
  ASSERT_FALSE(cursor);
  EXPECT_NE(cursor.error().message.find("params.cursor"), std::string::npos) << cursor.error().message;
  EXPECT_EQ(client->state(), RelayClient::State::kConnected);  // a refusal is not a lost link
}

TEST_F(RelayClientQueryTest, NotConnectedIsAnError) {
  make_client(url);
  auto before = ask({.topic = kTopic});
  ASSERT_FALSE(before);
  EXPECT_EQ(before.error().message, "not connected to the relay");
}

TEST_F(RelayClientQueryTest, StopBeforeTheAnswerIsAnError) {
  ASSERT_TRUE(connect(url));
  std::optional<Result<QueryPage>> answer;
  client->query({.topic = kTopic}, [&](Result<QueryPage> page) { answer = std::move(page); });
  client->stop();
  ASSERT_TRUE(keylink::testing::run_until(io, [&] { return answer.has_value(); }));
  ASSERT_FALSE(*answer);
  EXPECT_NE(answer->error().message.find("stopped"), std::string::npos) << answer->error().message;
}

TEST_F(RelayClientQueryTest, UnansweredQueryIsAnError) {
  SilentRelay silent(io);
  make_client(silent.url(), std::chrono::milliseconds(50));
  client->start();
  ASSERT_TRUE(keylink::testing::run_until(io, [&] { return connects > 0; }));
  auto page = ask({.topic = kTopic});
  ASSERT_FALSE(page);
  EXPECT_EQ(page.error().code, Errc::kNotAcknowledged);
  EXPECT_EQ(page.error().message, "relay did not answer keylink_query within 50 ms");
}

TEST_F(RelayClientQueryTest, DestroyedClientNeverCallsBack) {
  ASSERT_TRUE(connect(url));
  bool called = false;
  client->query({.topic = kTopic}, [&](Result<QueryPage>) { called = true; });
  client.reset();
  io.run_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace keylink::relay
