// The history stream: chunks in order, each once; reordered, altered or truncated streams are never
// stored out of order; an interruption resumes from the first chunk B lacks.
#include <gtest/gtest.h>

#include "channel.h"
#include "link_harness.h"

namespace keylink::link {
namespace {

using namespace std::chrono_literals;
using testing::all_of;
using testing::failure;
using testing::has;
using testing::Link;

bool is_chunk(const Publish& message) {
  return message.message.size() > 1 &&
         message.message[1] == static_cast<std::uint8_t>(detail::MessageType::kHistoryChunk);
}

std::uint32_t chunk_index(const Publish& message) {
  return static_cast<std::uint32_t>(message.message[10]) << 24 | static_cast<std::uint32_t>(message.message[11]) << 16 |
         static_cast<std::uint32_t>(message.message[12]) << 8 | message.message[13];
}

std::vector<Bytes> chunks(int count) {
  std::vector<Bytes> out;
  for (int i = 0; i < count; ++i) out.push_back(to_bytes("history chunk " + std::to_string(i)));
  return out;
}

void expect_complete(const Link& link) {
  EXPECT_EQ(failure(link.a_events), "");
  EXPECT_EQ(failure(link.b_events), "");
  EXPECT_EQ(link.b_history, link.history);
  EXPECT_TRUE(has<HistoryDone>(link.a_events));
  EXPECT_TRUE(has<HistoryDone>(link.b_events));
}

TEST(LinkHistoryTest, ManyChunksThroughASmallWindow) {
  Link link;
  link.history = chunks(50);
  link.start();
  expect_complete(link);
  auto progress = all_of<Progress>(link.b_events);
  ASSERT_EQ(progress.size(), 50u);
  for (std::size_t i = 0; i < progress.size(); ++i) EXPECT_EQ(progress[i]->done, i + 1);
}

TEST(LinkHistoryTest, AReorderedChunkIsNotStoredAndIsSentAgain) {
  Link link;
  link.history = chunks(5);
  std::optional<Publish> held;
  link.path = [&held](Publish message) {
    std::vector<Publish> out;
    if (is_chunk(message) && chunk_index(message) == 1 && !held) {
      held = std::move(message);  // chunk 1 comes after chunk 2
      return out;
    }
    out.push_back(std::move(message));
    if (held && is_chunk(out.back()) && chunk_index(out.back()) == 2) out.push_back(std::move(*held));
    return out;
  };
  link.start();
  expect_complete(link);
}

TEST(LinkHistoryTest, AStreamThatKeepsComingReversedIsRefused) {
  Link link;
  link.history = chunks(3);
  std::vector<Publish> held;
  link.path = [&held](Publish message) {
    if (is_chunk(message)) {
      held.push_back(std::move(message));
      return std::vector<Publish>{};
    }
    return std::vector<Publish>{std::move(message)};
  };
  link.start();
  for (int round = 0; round < 20 && !link.joiner->finished(); ++round) {
    std::vector<Publish> batch = std::move(held);
    held.clear();
    for (auto it = batch.rbegin(); it != batch.rend(); ++it) link.deliver(*it);
    link.pump();
  }
  EXPECT_NE(failure(link.b_events).find("out of order"), std::string::npos);
  EXPECT_TRUE(link.b_history.empty());
  EXPECT_FALSE(has<HistoryDone>(link.b_events));
}

TEST(LinkHistoryTest, AnAlteredChunkIsRefusedAndFetchedAgain) {
  Link link;
  link.history = chunks(4);
  bool altered = false;
  link.path = [&altered](Publish message) {
    if (is_chunk(message) && chunk_index(message) == 1 && !altered) {
      message.message.back() ^= 0x80;
      altered = true;
    }
    return std::vector<Publish>{std::move(message)};
  };
  link.start();
  expect_complete(link);
  EXPECT_EQ(link.joiner->unopened_messages(), 1u);
}

TEST(LinkHistoryTest, AChunkHeaderChangedOnTheWayDoesNotOpen) {
  for (std::size_t byte : {10u, 13u, 17u, 21u, 22u}) {  // index, total, round, last flag
    Link link;
    link.history = chunks(3);
    bool altered = false;
    link.path = [&altered, byte](Publish message) {
      if (is_chunk(message) && chunk_index(message) == 0 && !altered) {
        message.message[byte] ^= 0x01;
        altered = true;
      }
      return std::vector<Publish>{std::move(message)};
    };
    link.start();
    expect_complete(link);
    EXPECT_EQ(link.joiner->unopened_messages(), 1u) << byte;
  }
}

TEST(LinkHistoryTest, ATruncatedStreamNeverCompletes) {
  Link link;
  link.history = chunks(3);
  link.path = [](Publish message) {
    if (is_chunk(message) && chunk_index(message) == 2) return std::vector<Publish>{};  // the last, every time
    return std::vector<Publish>{std::move(message)};
  };
  link.start();
  EXPECT_EQ(link.b_history.size(), 2u);
  EXPECT_FALSE(has<HistoryDone>(link.b_events));
  link.clock.advance(60s);
  link.absorb_b(link.joiner->on_timer(link.now()));
  link.absorb_a(link.initiator->on_timer(link.now()));
  EXPECT_NE(failure(link.b_events).find("history (2 of 3 chunks)"), std::string::npos);
  EXPECT_NE(failure(link.a_events).find("(2 of 3 chunks)"), std::string::npos);
  EXPECT_FALSE(has<HistoryDone>(link.a_events));
}

TEST(LinkHistoryTest, ResumesAfterAnInterruption) {
  Link link;
  link.history = chunks(6);
  bool offline = false;
  link.path = [&offline](Publish message) {
    if (offline) return std::vector<Publish>{};
    return std::vector<Publish>{std::move(message)};
  };
  link.answer_history = false;
  link.start();
  ASSERT_EQ(link.needed.size(), 6u);
  // Two chunks arrive, then B's connection drops while the rest are sent.
  link.needed.resize(2);
  link.answer_needed();
  link.pump();
  ASSERT_EQ(link.b_history.size(), 2u);
  offline = true;
  for (std::uint32_t index : {2u, 3u, 4u, 5u})
    link.absorb_a(link.initiator->on_history_chunk(index, link.history[index], link.now()));
  link.pump();
  link.answer_history = true;
  link.needed.clear();
  link.clock.advance(30s);
  offline = false;
  link.absorb_b(link.joiner->resume_history(link.now()));
  link.pump();
  expect_complete(link);
  auto a_progress = all_of<Progress>(link.a_events);
  EXPECT_EQ(a_progress.back()->done, 6u);
}

TEST(LinkHistoryTest, ADroppedChunkInTheMiddleIsResent) {
  Link link;
  link.history = chunks(5);
  bool dropped = false;
  link.path = [&dropped](Publish message) {
    if (is_chunk(message) && chunk_index(message) == 2 && !dropped) {
      dropped = true;
      return std::vector<Publish>{};
    }
    return std::vector<Publish>{std::move(message)};
  };
  link.start();
  expect_complete(link);
}

TEST(LinkHistoryTest, DuplicatedChunksAreStoredOnce) {
  Link link;
  link.history = chunks(5);
  link.path = [](Publish message) { return std::vector<Publish>{message, message, message}; };
  link.start();
  expect_complete(link);
  EXPECT_EQ(all_of<HistoryChunkReceived>(link.b_events).size(), 5u);
}

}  // namespace
}  // namespace keylink::link
