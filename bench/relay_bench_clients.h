// The two roles of a relay_bench connection, for each kind of server it drives: a Publisher sends
// messages on its topic and counts the answers, a Subscriber subscribes to one topic, timestamps what
// it receives and acks it. Either way four frames per message: publish, result, delivery, ack.
//
// Thread-safety: none; every client of a run lives on one io_context run by one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "relay_bench_protocol.h"
#include "relay_bench_stats.h"
#include "relay_bench_ws.h"

namespace keylink::bench {

enum class Target {
  kKeylink,  // keylink-relay: WalletConnect relay JSON-RPC
  kForward,  // keylink-relay --bench-forward: the same frames, forwarded without being read
  kNats,     // nats-server's WebSocket listener, NATS protocol
  kNode,     // bench/node_ws_relay.js: the JSON-RPC subset on node's ws package
};

// What every client of one run shares.
struct RunState {
  RunState(Target t, std::size_t message_size) : target(t), message(message_size) {}

  Target target;
  std::size_t in_flight = 1000;                // closed loop: messages per publisher between publish and delivery
  double rate_per_publisher = 0;               // open loop when > 0: messages/s
  std::chrono::nanoseconds tick{20'000};       // open loop: the shortest wait between two batches
  std::optional<std::uint64_t> messages_left;  // --messages: what may still be published
  BenchMessage message;
  std::chrono::steady_clock::time_point epoch = std::chrono::steady_clock::now();

  bool sending = false;             // publishers may publish
  bool recording = false;           // deliveries go into `latency`, results into `result_latency`
  LatencyHistogram latency;         // due time to delivery at the subscriber
  LatencyHistogram result_latency;  // due time to the publish's result at the publisher
  std::uint64_t published = 0, results = 0, deliveries = 0, errors = 0;
  std::string first_error;  // the first JSON-RPC error or NATS -ERR, as received
  std::size_t ready = 0, failed = 0;
  std::string first_failure;

  std::uint64_t now_ns() const {
    return static_cast<std::uint64_t>((std::chrono::steady_clock::now() - epoch).count());
  }
  // Takes one message from --messages; false once none is left.
  bool take_message() {
    if (!messages_left) return true;
    if (*messages_left == 0) return false;
    --*messages_left;
    return true;
  }
};

class Client : public WsConnection {
 public:
  Client(asio::io_context& io, RunState& run, std::string topic);
  const std::string& topic() const { return topic_; }
  bool ready() const { return ready_; }

 protected:
  void set_ready();
  void on_failed(const std::string& why) override;
  void count_error(std::string_view text);
  bool speaks_nats() const { return run_.target == Target::kNats; }
  // NATS: CONNECT, then `then` (a SUB or nothing), then PING: the PONG says all of it was handled.
  void nats_connect(bool verbose, std::string_view then);

  RunState& run_;
  std::string topic_;
  bool ready_ = false;
  NatsReader nats_;
};

class Publisher final : public Client {
 public:
  Publisher(asio::io_context& io, RunState& run, std::string topic);

  void add_subscriber() { ++subscribers_; }
  void on_delivered() { ++delivered_; }
  // Starts sending. REQUIRES: ready(), run.sending.
  void start();
  // Sends what the window (closed loop) or the clock (open loop) allows now.
  void pump();

  std::uint64_t sent() const { return sent_; }
  // Every message sent was answered and reached every subscriber of the topic.
  bool done() const { return results_ >= sent_ && delivered_ >= sent_ * subscribers_; }
  std::uint64_t missing() const;

 private:
  void on_open() override;
  void on_message(std::string_view payload) override;
  void on_read_batch_done() override { pump(); }
  void on_write_done() override { pump(); }
  void on_result();
  void send_one(std::uint64_t send_ns);
  void pump_closed_loop();
  void pump_open_loop();

  RpcPublishTemplate rpc_;
  NatsPublishTemplate pub_;
  asio::steady_timer timer_;
  bool timer_armed_ = false;
  bool started_ = false;
  std::uint64_t start_ns_ = 0;
  std::uint64_t next_id_ = 1;
  std::uint64_t sent_ = 0, results_ = 0, delivered_ = 0;
  std::uint64_t subscribers_ = 0;
  // Due times of the publishes not answered yet, oldest first: a server answers a connection's requests
  // in order (the forwarder's fixed reply has no id to match).
  std::deque<std::uint64_t> unanswered_;
};

class Subscriber final : public Client {
 public:
  // `publisher` is told of each delivery; null for an idle subscriber.
  Subscriber(asio::io_context& io, RunState& run, std::string topic, Publisher* publisher);

 private:
  void on_open() override;
  void on_message(std::string_view payload) override;
  void on_read_batch_done() override;
  void on_delivery(std::string_view message);

  Publisher* publisher_;
  std::string ack_;             // NATS: the ack frame, a PUB to a subject nobody subscribes to
  std::uint64_t batch_ns_ = 0;  // when the current read arrived
  bool delivered_in_batch_ = false;
};

}  // namespace keylink::bench
