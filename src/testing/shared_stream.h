// A test double of JetStream for cluster nodes without NATS: one in-memory stream that numbers every
// node's appends in one order, and a journal per node over it whose feed and answers arrive when the
// test says (settle). Used by relay_core_cluster_test and the cluster fuzzer; tests/e2e/cluster.test.js
// runs the real thing.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "keylink/relay/errors.h"
#include "keylink/relay/journal.h"

namespace keylink::relay::testing {

class StreamJournal;

// What JetStream keeps: messages and acks of every node, numbered from 1 in the order they came.
struct Stream {
  struct Entry {
    std::optional<JournaledMessage> message;
    std::optional<StoredAck> ack;
  };
  std::vector<Entry> entries;
  std::vector<StreamJournal*> nodes;
};

class StreamJournal final : public Journal {
 public:
  explicit StreamJournal(Stream& stream) : stream_(stream) { stream_.nodes.push_back(this); }
  ~StreamJournal() override { std::erase(stream_.nodes, this); }

  Result<std::uint64_t> load(std::int64_t now_ms, const std::function<void(JournaledMessage)>& on_message,
                             const std::function<void(StoredAck)>& on_ack) override {
    read(now_ms, on_message, on_ack);
    return stream_.entries.size();
  }
  void append(std::vector<JournaledMessage> messages, std::vector<StoredAck> acks, Done done) override {
    if (!up) {
      if (done) done(fail(Errc::kCluster, "this relay node is not connected to NATS"));
      return;
    }
    for (auto& message : messages) stream_.entries.push_back({std::move(message), std::nullopt});
    for (auto& ack : acks) stream_.entries.push_back({std::nullopt, std::move(ack)});
    if (done) waiting_.push_back(std::move(done));
  }
  void prune(std::int64_t) override {}
  void flush() override {}
  std::uint64_t commits() const noexcept override { return 0; }
  bool shared() const noexcept override { return true; }
  void set_feed(Feed feed) override { feed_ = std::move(feed); }
  void broadcast(const StoredMessage& message, std::string_view publisher) override {
    for (StreamJournal* node : stream_.nodes) {
      if (node != this) node->feed_.ephemeral(message, std::string(publisher));
    }
  }

  // What the stream has that this node has not read yet, through the feed; then the answers to this
  // node's appends (the real journal answers once its node has read them back).
  void settle(std::int64_t now_ms) {
    read(now_ms, feed_.message, feed_.ack);
    for (auto& done : std::exchange(waiting_, {})) done({});
  }

  bool up = true;

 private:
  void read(std::int64_t now_ms, const std::function<void(JournaledMessage)>& on_message,
            const std::function<void(StoredAck)>& on_ack) {
    for (; read_ < stream_.entries.size(); ++read_) {
      const Stream::Entry& entry = stream_.entries[read_];
      if (entry.ack) {
        on_ack(*entry.ack);
      } else if (entry.message->message.expires_at_ms > now_ms) {
        JournaledMessage copy = *entry.message;
        copy.message.seq = read_ + 1;
        on_message(std::move(copy));
      }
    }
  }

  Stream& stream_;
  Feed feed_;
  std::size_t read_ = 0;
  std::vector<Done> waiting_;
};

}  // namespace keylink::relay::testing
