#include "relay_bench_clients.h"

#include <algorithm>

namespace keylink::bench {
namespace {

constexpr std::uint64_t kMaxBatch = 4096;  // open loop: messages per pump when behind

std::string nats_subject(std::string_view topic) { return "t." + std::string(topic); }

}  // namespace

Client::Client(asio::io_context& io, RunState& run, std::string topic)
    : WsConnection(io), run_(run), topic_(std::move(topic)) {}

void Client::set_ready() {
  if (ready_) return;
  ready_ = true;
  ++run_.ready;
}

void Client::on_failed(const std::string& why) {
  if (run_.failed++ == 0) run_.first_failure = why;
}

void Client::count_error(std::string_view text) {
  if (run_.errors++ == 0) run_.first_error = std::string(text.substr(0, 300));
}

void Client::nats_connect(bool verbose, std::string_view then) {
  send_text(std::string("CONNECT {\"verbose\":") + (verbose ? "true" : "false") +
            ",\"pedantic\":false,\"name\":\"relay_bench\",\"lang\":\"cpp\",\"version\":\"0.1\",\"protocol\":1}\r\n");
  if (!then.empty()) send_text(then);
  send_text("PING\r\n");
}

Publisher::Publisher(asio::io_context& io, RunState& run, std::string topic)
    : Client(io, run, std::move(topic)),
      rpc_(topic_, run.message),
      pub_(nats_subject(topic_), run.message),
      timer_(io) {}

std::uint64_t Publisher::missing() const {
  const std::uint64_t unanswered = sent_ - std::min(sent_, results_);
  const std::uint64_t undelivered = sent_ * subscribers_ - std::min(sent_ * subscribers_, delivered_);
  return std::max(unanswered, subscribers_ ? undelivered / subscribers_ : 0);
}

void Publisher::on_open() {
  if (!speaks_nats()) set_ready();  // NATS: after INFO, CONNECT and PONG
}

void Publisher::on_message(std::string_view payload) {
  if (!speaks_nats()) {
    RpcFrame frame;
    if (!scan_rpc(payload, frame)) return count_error(payload);
    if (frame.is_result) return on_result();
    if (frame.is_error) return count_error(payload);
    return;  // a request from the server: nothing a publisher answers here
  }
  const bool ok = nats_.feed(payload, [this](NatsReader::Op op, std::string_view text) {
    switch (op) {
      case NatsReader::Op::kInfo:
        if (!ready_) nats_connect(true, {});  // verbose: each PUB gets its +OK, the 'result'
        break;
      case NatsReader::Op::kOk:
        if (ready_) on_result();  // the first +OK answers CONNECT
        break;
      case NatsReader::Op::kPong: set_ready(); break;
      case NatsReader::Op::kPing: send_text("PONG\r\n"); break;
      case NatsReader::Op::kErr: count_error(text); break;
      case NatsReader::Op::kMsg: break;
    }
    return is_open();
  });
  if (!ok && is_open()) count_error(nats_.why());
}

void Publisher::on_result() {
  ++results_;
  ++run_.results;
  if (unanswered_.empty()) return;
  if (run_.recording) {
    const std::uint64_t now = run_.now_ns();
    run_.result_latency.record(now > unanswered_.front() ? now - unanswered_.front() : 0);
  }
  unanswered_.pop_front();
}

void Publisher::start() {
  started_ = true;
  start_ns_ = run_.now_ns();
  pump();
}

void Publisher::pump() {
  if (!started_ || !run_.sending || !is_open()) return;
  if (run_.rate_per_publisher > 0) return pump_open_loop();
  pump_closed_loop();
}

void Publisher::send_one(std::uint64_t send_ns) {
  const std::uint64_t sequence = sent_++;
  ++run_.published;
  unanswered_.push_back(send_ns);
  if (speaks_nats()) return send_text(pub_.make(send_ns, sequence));
  send_text(rpc_.make(next_id_++, send_ns, sequence));
}

void Publisher::pump_closed_loop() {
  // A message is in flight from its publish until both its result and all its deliveries came back.
  const std::uint64_t completed = std::min(results_, subscribers_ ? delivered_ / subscribers_ : results_);
  const std::uint64_t now = run_.now_ns();
  while (sent_ - completed < run_.in_flight && run_.take_message()) send_one(now);
  flush();
}

void Publisher::pump_open_loop() {
  // Each message has its due time, start + n / rate, and carries it: latency is measured from when the
  // message was due, not from when the generator got to it (no coordinated omission).
  // While a write is in flight its end pumps again: what is due then goes out in one write, and the
  // queue never holds more than one batch however far the server falls behind.
  if (writing()) return;
  const double period_ns = 1e9 / run_.rate_per_publisher;
  const std::uint64_t now = run_.now_ns();
  const auto due = static_cast<std::uint64_t>(static_cast<double>(now - start_ns_) / period_ns) + 1;
  const std::uint64_t until = std::min(due, sent_ + kMaxBatch);
  while (sent_ < until && run_.take_message()) {
    send_one(start_ns_ + static_cast<std::uint64_t>(static_cast<double>(sent_) * period_ns));
  }
  flush();
  if (writing() || timer_armed_ || (run_.messages_left && *run_.messages_left == 0)) return;
  const auto next_due = start_ns_ + static_cast<std::uint64_t>(static_cast<double>(sent_) * period_ns);
  const auto wake = std::max<std::uint64_t>(next_due, now + static_cast<std::uint64_t>(run_.tick.count()));
  timer_armed_ = true;
  timer_.expires_at(run_.epoch + std::chrono::nanoseconds(wake));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    timer_armed_ = false;
    if (!ec) pump();
  });
}

Subscriber::Subscriber(asio::io_context& io, RunState& run, std::string topic, Publisher* publisher)
    : Client(io, run, std::move(topic)), publisher_(publisher) {
  if (publisher_) publisher_->add_subscriber();
  const std::string ack_subject = "ack." + topic_;
  ack_ = "PUB " + ack_subject + " 4\r\ntrue\r\n";
}

void Subscriber::on_open() {
  switch (run_.target) {
    case Target::kForward: return set_ready();  // joined its group by the URL
    case Target::kNats: return;                 // after INFO, CONNECT, SUB and PONG
    case Target::kKeylink:
    case Target::kNode: return send_text(rpc_subscribe(0, topic_));
  }
}

void Subscriber::on_message(std::string_view payload) {
  if (!speaks_nats()) {
    RpcFrame frame;
    if (!scan_rpc(payload, frame)) return count_error(payload);
    if (!frame.method.empty()) {
      if (frame.message.empty()) return count_error(payload);
      on_delivery(frame.message);
      if (!frame.id.empty()) send_text(rpc_ack(frame.id));
      return;
    }
    if (frame.is_error) return count_error(payload);
    // The only request a subscriber makes is irn_subscribe: its result is the subscription id.
    if (frame.is_result && !ready_) {
      if (frame.result.size() < 3 || frame.result.front() != '"') return count_error(payload);
      set_ready();
    }
    return;
  }
  const bool ok = nats_.feed(payload, [this](NatsReader::Op op, std::string_view text) {
    switch (op) {
      case NatsReader::Op::kInfo:
        if (!ready_) nats_connect(false, "SUB " + nats_subject(topic_) + " 1\r\n");
        break;
      case NatsReader::Op::kMsg:
        on_delivery(text);
        send_text(ack_);
        break;
      case NatsReader::Op::kPong: set_ready(); break;
      case NatsReader::Op::kPing: send_text("PONG\r\n"); break;
      case NatsReader::Op::kErr: count_error(text); break;
      case NatsReader::Op::kOk: break;
    }
    return is_open();
  });
  if (!ok && is_open()) count_error(nats_.why());
}

void Subscriber::on_delivery(std::string_view message) {
  ++run_.deliveries;
  if (publisher_) publisher_->on_delivered();
  delivered_in_batch_ = true;
  if (!run_.recording) return;
  if (batch_ns_ == 0) batch_ns_ = run_.now_ns();  // one clock read per socket read
  const std::uint64_t sent_ns = BenchMessage::send_ns_of(message);
  if (sent_ns == 0) return count_error("a delivery without a relay_bench timestamp");
  run_.latency.record(batch_ns_ > sent_ns ? batch_ns_ - sent_ns : 0);
}

void Subscriber::on_read_batch_done() {
  batch_ns_ = 0;
  if (delivered_in_batch_ && publisher_) publisher_->pump();
  delivered_in_batch_ = false;
}

}  // namespace keylink::bench
