// A whole link, device A and device B, driven by the input: each byte picks what the path or a runtime
// does next (deliver, drop, duplicate, reorder or alter a message in flight, inject bytes of the input
// as a message, let time pass, answer a request, resume). Properties: nothing crashes; no action comes
// before the protocol reached its step; a finished machine stays silent; history chunks are stored in
// order, each once.
#include <deque>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "fuzz_util.h"
#include "keylink/link/initiator.h"
#include "keylink/link/joiner.h"

namespace {

using namespace keylink;
using namespace keylink::link;

class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  bool empty() const { return pos_ >= size_; }
  std::uint8_t byte() { return empty() ? 0 : data_[pos_++]; }
  Bytes bytes(std::size_t count) {
    Bytes out;
    while (out.size() < count && !empty()) out.push_back(data_[pos_++]);
    return out;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

struct Side {
  std::vector<Action> events;
  bool finished = false;
  template <class T>
  bool saw() const {
    for (const auto& event : events) {
      if (std::holds_alternative<T>(event)) return true;
    }
    return false;
  }
};

class Run {
 public:
  Run() : rng_a_(1), rng_b_(2) {}

  bool start() {
    code_ = OneTimeCode::generate(rng_a_, now_);
    auto joiner = LinkJoiner::create(code_.text(), Capabilities::kLightAndFull, {"fuzz", "test"}, rng_b_, now_);
    if (!joiner) return false;
    joiner_.emplace(std::move(*joiner));
    b_topic_ = topic_text(joiner_->uri().topic);
    absorb_b(joiner_->begin(now_));
    auto uri = LinkUri::parse(joiner_->uri().to_string(), now_);
    FUZZ_ASSERT(uri);
    auto initiator = LinkInitiator::create(*uri, code_, rng_a_, now_);
    FUZZ_ASSERT(initiator);
    initiator_.emplace(std::move(*initiator));
    absorb_a(initiator_->begin(now_));
    return true;
  }

  void step(Input& in) {
    const std::uint8_t op = in.byte();
    switch (op % 10) {
      case 0: deliver_front(); break;
      case 1:
        if (!in_flight_.empty()) in_flight_.pop_front();
        break;
      case 2:
        if (!in_flight_.empty()) in_flight_.push_back(in_flight_.front());
        break;
      case 3:
        if (!in_flight_.empty()) {
          in_flight_.push_back(std::move(in_flight_.front()));
          in_flight_.pop_front();
        }
        break;
      case 4:
        if (!in_flight_.empty() && !in_flight_.front().message.empty()) {
          Bytes& message = in_flight_.front().message;
          message[(std::size_t{in.byte()} << 8 | in.byte()) % message.size()] ^=
              static_cast<std::uint8_t>(in.byte() | 1);
        }
        break;
      case 5: {
        const Bytes junk = in.bytes(in.byte());
        deliver(Publish{(op & 0x10) ? reply_topic_ : b_topic_, junk});
        break;
      }
      case 6:
        now_ += std::chrono::seconds(in.byte());
        absorb_a(initiator_->on_timer(now_));
        absorb_b(joiner_->on_timer(now_));
        break;
      case 7: answer(in.byte()); break;
      case 8: absorb_b(joiner_->resume_history(now_)); break;
      default: deliver_front(); break;
    }
  }

 private:
  void deliver_front() {
    if (in_flight_.empty()) return;
    Publish message = std::move(in_flight_.front());
    in_flight_.pop_front();
    deliver(message);
  }

  void deliver(const Publish& message) {
    if (message.topic == b_topic_) {
      absorb_b(joiner_->on_message(message.topic, message.message, now_));
    } else {
      absorb_a(initiator_->on_message(message.topic, message.message, now_));
    }
  }

  // The runtimes' answers, each only when its request is pending; the machines ignore the others.
  void answer(std::uint8_t choice) {
    switch (choice % 7) {
      case 0: {
        AccountPayload account;
        account.kind = (choice & 0x80) ? AccountKind::kFull : AccountKind::kLight;
        account.identity_bundle = SecretBytes(as_bytes("identity"));
        if (account.kind == AccountKind::kFull) account.recovery_phrase = SecretBytes(as_bytes("phrase"));
        absorb_a(initiator_->on_user_accepted(std::move(account), now_));
        break;
      }
      case 1: absorb_a(initiator_->on_user_refused(now_)); break;
      case 2: absorb_b(joiner_->on_installation_record(as_bytes("record"), now_)); break;
      case 3: absorb_a(initiator_->on_installation_list(as_bytes("list"), now_)); break;
      case 4: absorb_b(joiner_->on_committed(now_)); break;
      case 5: absorb_a(initiator_->start_history(1 + choice % 5, now_)); break;
      default: answer_needs(); break;
    }
  }

  void answer_needs() {
    auto needs = std::move(needs_);
    needs_.clear();
    for (std::uint32_t index : needs) {
      const std::string chunk = "chunk " + std::to_string(index);
      absorb_a(initiator_->on_history_chunk(index, as_bytes(chunk), now_));
    }
  }

  void absorb_a(Actions actions) {
    FUZZ_ASSERT(!a_.finished || actions.empty());
    for (auto& action : actions) {
      if (auto* subscribe = std::get_if<Subscribe>(&action)) reply_topic_ = subscribe->topic;
      if (auto* publish = std::get_if<Publish>(&action)) {
        in_flight_.push_back(std::move(*publish));
        continue;
      }
      if (std::holds_alternative<AddInstallation>(action)) FUZZ_ASSERT(a_.saw<AskUser>());
      if (std::holds_alternative<Done>(action)) FUZZ_ASSERT(a_.saw<AddInstallation>());
      if (std::holds_alternative<HistoryDone>(action)) FUZZ_ASSERT(a_.saw<Done>());
      if (auto* need = std::get_if<NeedHistoryChunk>(&action)) needs_.push_back(need->index);
      if (std::holds_alternative<Failed>(action) || std::holds_alternative<HistoryDone>(action)) a_.finished = true;
      if (!std::holds_alternative<Unsubscribe>(action) && !std::holds_alternative<Subscribe>(action)) {
        a_.events.push_back(std::move(action));
      }
    }
    FUZZ_ASSERT(a_.finished == initiator_->finished());
  }

  void absorb_b(Actions actions) {
    FUZZ_ASSERT(!b_.finished || actions.empty());
    for (auto& action : actions) {
      if (auto* publish = std::get_if<Publish>(&action)) {
        in_flight_.push_back(std::move(*publish));
        continue;
      }
      if (std::holds_alternative<Commit>(action)) FUZZ_ASSERT(b_.saw<InstallAccount>() && a_.saw<AddInstallation>());
      if (std::holds_alternative<InstallAccount>(action)) FUZZ_ASSERT(a_.saw<AskUser>());
      if (std::holds_alternative<Done>(action)) FUZZ_ASSERT(b_.saw<Commit>());
      if (auto* chunk = std::get_if<HistoryChunkReceived>(&action)) {
        FUZZ_ASSERT(b_.saw<Done>() && chunk->index == b_chunks_++);
      }
      if (std::holds_alternative<Failed>(action) || std::holds_alternative<HistoryDone>(action)) b_.finished = true;
      if (!std::holds_alternative<Unsubscribe>(action) && !std::holds_alternative<Subscribe>(action)) {
        b_.events.push_back(std::move(action));
      }
    }
    FUZZ_ASSERT(b_.finished == joiner_->finished());
  }

  FixedRng rng_a_;
  FixedRng rng_b_;
  TimePoint now_{std::chrono::seconds(1'700'000'000)};
  OneTimeCode code_;
  std::optional<LinkJoiner> joiner_;
  std::optional<LinkInitiator> initiator_;
  std::string b_topic_;
  std::string reply_topic_;
  std::deque<Publish> in_flight_;
  std::vector<std::uint32_t> needs_;
  std::uint32_t b_chunks_ = 0;
  Side a_;
  Side b_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input in(data, size);
  Run run;
  if (!run.start()) return 0;
  for (int steps = 0; steps < 4096 && !in.empty(); ++steps) run.step(in);
  return 0;
}
