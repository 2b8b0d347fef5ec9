// Device A's side of the link. The steps follow docs/linking.md; each handler checks that the message it
// got is the one its step waits for, so no action comes before the protocol reached its step.
#include "keylink/link/initiator.h"

#include <algorithm>

#include "channel.h"
#include "keylink/link/errors.h"
#include "machine.h"
#include "messages.h"

namespace keylink::link {

using detail::Arrival;
using detail::MessageType;

enum class InitiatorStep {
  kCreated,
  kWaitDeviceInfo,
  kWaitUser,
  kWaitInstalled,
  kWaitList,
  kWaitCommitted,
  kWaitHistoryStart,
  kHistory,
  kFinished,
};

struct LinkInitiator::State {
  LinkOptions options;
  Capabilities caps;
  crypto::X25519PublicKey own_key;
  detail::Channel channel;
  InitiatorStep step = InitiatorStep::kCreated;
  TimePoint handshake_deadline{};
  TimePoint idle_deadline{};
  std::uint32_t unopened = 0;
  std::uint32_t total = 0;          // history chunks
  std::uint32_t acked = 0;          // chunks B has stored
  std::uint32_t requested_end = 0;  // NeedHistoryChunk emitted for every index below
  std::uint32_t send_next = 0;      // the chunk to seal next; an answer for another index is stale
  std::uint32_t round = 0;          // B's latest resume request

  std::string waiting_for() const {
    switch (step) {
      case InitiatorStep::kWaitDeviceInfo: return "the new device to answer (is its URI from this code?)";
      case InitiatorStep::kWaitUser: return "your answer";
      case InitiatorStep::kWaitInstalled: return "the new device to install the account";
      case InitiatorStep::kWaitList: return "the new installation list";
      case InitiatorStep::kWaitCommitted: return "the new device to commit";
      case InitiatorStep::kWaitHistoryStart: return "the history to start";
      case InitiatorStep::kHistory:
        return "the new device to acknowledge the history (" + std::to_string(acked) + " of " + std::to_string(total) +
               " chunks)";
      default: return "nothing";
    }
  }

  Actions fail(std::string reason) {
    step = InitiatorStep::kFinished;
    Actions out;
    out.emplace_back(Unsubscribe{channel.receive_topic()});
    out.emplace_back(Failed{detail::with_unopened(std::move(reason), unopened)});
    return out;
  }

  void request_more(Actions& out) {
    const std::uint32_t end =
        static_cast<std::uint32_t>(std::min<std::uint64_t>(total, std::uint64_t{acked} + options.history_window));
    while (requested_end < end) out.emplace_back(NeedHistoryChunk{requested_end++});
  }

  Actions handle(MessageType type, ByteView body, TimePoint now);
  Actions on_history_ack(std::uint32_t next, TimePoint now);
  Actions on_history_resume(detail::ResumeRequest request, TimePoint now);
};

Result<LinkInitiator> LinkInitiator::create(const LinkUri& uri, OneTimeCode& code, Rng& rng, TimePoint now,
                                            LinkOptions options) {
  auto verdict = code.check(uri.code, now);  // burns the code first, whatever the answer
  if (!verdict) return fail(verdict.error());
  if (uri.expiry <= std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count()) {
    return fail(Errc::kExpired, "link URI expired; make a new one on the new device");
  }
  auto own = crypto::X25519KeyPair::generate(rng);
  // A's own code, not the URI's, goes into the transcript: a URI with another code gives another channel.
  const auto digest = detail::transcript(uri.topic, uri.joiner_key, own.public_key, code.text(), uri.caps);
  auto keys = detail::derive_keys(own.private_key, uri.joiner_key, digest);
  if (!keys) return fail(Errc::kMalformed, "link URI: kl-pub is not a usable X25519 key");
  std::string reply_topic = keys->reply_topic;
  auto state = std::unique_ptr<State>(new State{
      options, uri.caps, own.public_key,
      detail::Channel(std::move(*keys), detail::Direction::kToJoiner, topic_text(uri.topic), std::move(reply_topic))});
  const TimePoint expiry{std::chrono::seconds(uri.expiry)};
  state->handshake_deadline = std::min(expiry, now + options.max_handshake_time);
  return LinkInitiator(std::move(state));
}

Actions LinkInitiator::begin(TimePoint now) {
  State& s = *state_;
  if (s.step != InitiatorStep::kCreated) return {};
  if (now >= s.handshake_deadline) return s.fail("link URI expired; make a new one on the new device");
  s.step = InitiatorStep::kWaitDeviceInfo;
  Actions out;
  out.emplace_back(Subscribe{s.channel.receive_topic()});
  out.emplace_back(Publish{s.channel.send_topic(), s.channel.seal(MessageType::kHello, {}, &s.own_key)});
  return out;
}

Actions LinkInitiator::on_message(std::string_view topic, ByteView message, TimePoint now) {
  State& s = *state_;
  if (s.step == InitiatorStep::kCreated || s.step == InitiatorStep::kFinished) return {};
  if (detail::due(next_deadline(), now)) return on_timer(now);
  if (topic != s.channel.receive_topic()) return {};
  auto received = s.channel.receive(message);
  switch (received.arrival) {
    case Arrival::kUnopened: ++s.unopened; return {};
    case Arrival::kDuplicate: return {};  // relays deliver at least once
    case Arrival::kAhead:
      // During the history, acknowledgments are cumulative and a lost one is harmless.
      if (s.step != InitiatorStep::kHistory) {
        return s.fail("a message from the new device is missing (sequence gap): the path dropped or reordered it");
      }
      s.channel.skip_to(received.frame.seq + 1);
      break;
    case Arrival::kInOrder: break;
  }
  return s.handle(received.frame.type, received.body.expose(), now);
}

Actions LinkInitiator::State::handle(MessageType type, ByteView body, TimePoint now) {
  const auto malformed = [&](const Error& error) {
    return fail("the new device sent a malformed " + std::string(detail::name_of(type)) + ": " + error.message);
  };
  if (step == InitiatorStep::kWaitDeviceInfo && type == MessageType::kDeviceInfo) {
    auto device = detail::decode_device_info(body);
    if (!device) return malformed(device.error());
    step = InitiatorStep::kWaitUser;
    return detail::actions(AskUser{std::move(*device), caps});
  }
  if (step == InitiatorStep::kWaitInstalled && type == MessageType::kInstalled) {
    auto record = detail::decode_bounded(body, kMaxBlobLength);
    if (!record) return malformed(record.error());
    step = InitiatorStep::kWaitList;
    return detail::actions(AddInstallation{std::move(*record)});
  }
  if (step == InitiatorStep::kWaitCommitted && type == MessageType::kCommitted) {
    if (auto empty = detail::decode_empty(body); !empty) return malformed(empty.error());
    step = InitiatorStep::kWaitHistoryStart;
    idle_deadline = now + options.history_idle_timeout;
    return detail::actions(Done{});
  }
  if (step == InitiatorStep::kHistory && type == MessageType::kHistoryAck) {
    auto next = detail::decode_index(body);
    if (!next) return malformed(next.error());
    return on_history_ack(*next, now);
  }
  if (step == InitiatorStep::kHistory && type == MessageType::kHistoryResume) {
    auto request = detail::decode_resume(body);
    if (!request) return malformed(request.error());
    return on_history_resume(*request, now);
  }
  return fail("the new device sent " + std::string(detail::name_of(type)) + " while this device waited for " +
              waiting_for());
}

Actions LinkInitiator::State::on_history_ack(std::uint32_t next, TimePoint now) {
  if (next < acked || next > send_next) return fail("the new device acknowledged history it was not sent");
  if (next == acked) return {};
  acked = next;
  idle_deadline = now + options.history_idle_timeout;
  Actions out;
  out.emplace_back(Progress{acked, total});
  if (acked == total) {
    step = InitiatorStep::kFinished;
    out.emplace_back(Unsubscribe{channel.receive_topic()});
    out.emplace_back(HistoryDone{});
    return out;
  }
  request_more(out);
  return out;
}

// Each resume request starts a new round: the chunks sealed from then on carry it, so B can tell a resent
// chunk from one that was already on the way.
Actions LinkInitiator::State::on_history_resume(detail::ResumeRequest request, TimePoint now) {
  if (request.round <= round) return {};
  const std::uint32_t from = request.from;
  if (from < acked || from > send_next || from >= total) {
    return fail("the new device asked to resume the history from a chunk it cannot lack");
  }
  Actions out;
  if (from > acked) out.emplace_back(Progress{from, total});
  round = request.round;
  acked = from;
  requested_end = from;
  send_next = from;
  idle_deadline = now + options.history_idle_timeout;
  request_more(out);
  return out;
}

Actions LinkInitiator::on_user_accepted(AccountPayload account, TimePoint now) {
  State& s = *state_;
  if (s.step != InitiatorStep::kWaitUser) return {};
  KEYLINK_CHECK(offers(s.caps, account.kind));
  if (now >= s.handshake_deadline) return on_timer(now);
  const SecretBytes body = detail::encode_account(account);
  s.step = InitiatorStep::kWaitInstalled;
  return detail::actions(detail::publish(s.channel, MessageType::kAccount, body.expose()));
}

Actions LinkInitiator::on_user_refused(TimePoint /*now*/) {
  State& s = *state_;
  if (s.step != InitiatorStep::kWaitUser) return {};
  Actions out;
  out.emplace_back(detail::publish(s.channel, MessageType::kRefused, {}));
  for (auto& action : s.fail("you refused to link the new device")) out.push_back(std::move(action));
  return out;
}

Actions LinkInitiator::on_installation_list(ByteView list, TimePoint now) {
  State& s = *state_;
  if (s.step != InitiatorStep::kWaitList) return {};
  KEYLINK_CHECK(list.size() <= kMaxBlobLength);
  if (now >= s.handshake_deadline) return on_timer(now);
  s.step = InitiatorStep::kWaitCommitted;
  return detail::actions(detail::publish(s.channel, MessageType::kWelcome, list));
}

Actions LinkInitiator::start_history(std::uint32_t total, TimePoint now) {
  State& s = *state_;
  if (s.step != InitiatorStep::kWaitHistoryStart) return {};
  KEYLINK_CHECK(total >= 1 && total <= kMaxChunks);
  s.step = InitiatorStep::kHistory;
  s.total = total;
  s.idle_deadline = now + s.options.history_idle_timeout;
  Actions out;
  out.emplace_back(Progress{0, total});
  s.request_more(out);
  return out;
}

Actions LinkInitiator::on_history_chunk(std::uint32_t index, ByteView bytes, TimePoint /*now*/) {
  State& s = *state_;
  if (s.step != InitiatorStep::kHistory) return {};
  KEYLINK_CHECK(index < s.total && bytes.size() <= kMaxChunkLength);
  if (index != s.send_next) return {};  // asked for before a resume: it comes again in order
  ++s.send_next;
  const detail::ChunkHeader chunk{index, s.total, s.round, index + 1 == s.total};
  return detail::actions(detail::publish(s.channel, MessageType::kHistoryChunk, bytes, &chunk));
}

Actions LinkInitiator::on_timer(TimePoint now) {
  State& s = *state_;
  if (!detail::due(next_deadline(), now)) return {};
  return s.fail("the link timed out waiting for " + s.waiting_for());
}

std::optional<TimePoint> LinkInitiator::next_deadline() const {
  switch (state_->step) {
    case InitiatorStep::kCreated:
    case InitiatorStep::kFinished: return std::nullopt;
    case InitiatorStep::kWaitHistoryStart:
    case InitiatorStep::kHistory: return state_->idle_deadline;
    default: return state_->handshake_deadline;
  }
}

std::uint32_t LinkInitiator::unopened_messages() const { return state_->unopened; }
bool LinkInitiator::finished() const { return state_->step == InitiatorStep::kFinished; }

LinkInitiator::LinkInitiator(std::unique_ptr<State> state) : state_(std::move(state)) {}
LinkInitiator::LinkInitiator(LinkInitiator&&) noexcept = default;
LinkInitiator& LinkInitiator::operator=(LinkInitiator&&) noexcept = default;
LinkInitiator::~LinkInitiator() = default;

}  // namespace keylink::link
