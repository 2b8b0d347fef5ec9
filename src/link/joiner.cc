// Device B's side of the link. B holds no account until the runtime answers Commit; every step before
// it only stages, so a failure leaves nothing behind.
#include "keylink/link/joiner.h"

#include <algorithm>

#include "channel.h"
#include "keylink/link/errors.h"
#include "keylink/link/one_time_code.h"
#include "machine.h"
#include "messages.h"

namespace keylink::link {

using detail::Arrival;
using detail::MessageType;

enum class JoinerStep {
  kCreated,
  kWaitHello,
  kWaitAccount,
  kWaitRecord,
  kWaitWelcome,
  kWaitCommit,
  kHistory,
  kFinished,
};

struct LinkJoiner::State {
  LinkOptions options;
  DeviceInfo device;
  LinkUri uri;
  Secret<32> throwaway;  // wiped once the channel exists
  std::optional<detail::Channel> channel;
  JoinerStep step = JoinerStep::kCreated;
  TimePoint handshake_deadline{};
  TimePoint idle_deadline{};
  std::uint32_t unopened = 0;
  std::uint32_t next_index = 0;  // the next history chunk B needs
  std::uint32_t total = 0;       // chunks in the stream; 0 until the first one
  std::uint32_t round = 0;       // resume requests sent; A stamps each chunk with the round it was sent in

  std::string topic() const { return topic_text(uri.topic); }

  std::string waiting_for() const {
    switch (step) {
      case JoinerStep::kWaitHello: return "the other device to read the link URI";
      case JoinerStep::kWaitAccount: return "the other device's user to say yes";
      case JoinerStep::kWaitRecord: return "this device's installation record";
      case JoinerStep::kWaitWelcome: return "the other device to add this one";
      case JoinerStep::kHistory:
        return "the history (" + std::to_string(next_index) + " of " + std::to_string(total) + " chunks)";
      default: return "nothing";
    }
  }

  Actions fail(std::string reason) {
    step = JoinerStep::kFinished;
    return detail::actions(Unsubscribe{topic()}, Failed{detail::with_unopened(std::move(reason), unopened)});
  }

  Actions request_resume() {
    if (round >= options.max_resumes) {
      return fail("the history stream arrived out of order or was interrupted " + std::to_string(round) +
                  " times; giving up");
    }
    ++round;
    return detail::actions(
        detail::publish(*channel, MessageType::kHistoryResume, detail::encode_resume({round, next_index})));
  }

  Actions on_hello(ByteView message);
  Actions handle(MessageType type, const detail::Frame& frame, ByteView body, TimePoint now);
  Actions on_chunk(const detail::ChunkHeader& chunk, ByteView body, TimePoint now);
};

Result<LinkJoiner> LinkJoiner::create(std::string_view code, Capabilities caps, DeviceInfo device, Rng& rng,
                                      TimePoint now, std::optional<std::string> lan, LinkOptions options) {
  if (!is_code_text(code)) return fail(Errc::kMalformed, "the one-time code is 6 digits");
  if (device.name.size() > kMaxNameLength || device.platform.size() > kMaxPlatformLength) {
    return fail(Errc::kTooLarge, "the device name is over 64 bytes or the platform over 32");
  }
  if (lan && !is_lan_address(*lan)) return fail(Errc::kMalformed, "the LAN address is not host:port");
  auto own = crypto::X25519KeyPair::generate(rng);
  auto state = std::make_unique<State>();
  state->options = options;
  state->device = std::move(device);
  state->uri.topic = rng.bytes<32>();
  state->uri.joiner_key = own.public_key;
  state->uri.code = std::string(code);
  state->uri.caps = caps;
  state->uri.lan = std::move(lan);
  const auto lifetime = std::min<std::chrono::seconds>(kLinkUriLifetime, options.max_handshake_time);
  state->uri.expiry = std::chrono::duration_cast<std::chrono::seconds>((now + lifetime).time_since_epoch()).count();
  state->handshake_deadline = TimePoint(std::chrono::seconds(state->uri.expiry));
  state->throwaway = std::move(own.private_key);
  return LinkJoiner(std::move(state));
}

const LinkUri& LinkJoiner::uri() const { return state_->uri; }

Actions LinkJoiner::begin(TimePoint now) {
  State& s = *state_;
  if (s.step != JoinerStep::kCreated) return {};
  if (now >= s.handshake_deadline) return s.fail("link URI expired; make a new one");
  s.step = JoinerStep::kWaitHello;
  return detail::actions(Subscribe{s.topic()});
}

// Before the channel exists, only a Hello that opens under the key it names and this URI's transcript
// makes one; anything else is a stranger's and is counted.
Actions LinkJoiner::State::on_hello(ByteView message) {
  auto frame = detail::parse_frame(message);
  if (!frame || frame->type != MessageType::kHello) return ++unopened, Actions{};
  const auto digest = detail::transcript(uri.topic, uri.joiner_key, frame->initiator_key, uri.code, uri.caps);
  auto keys = detail::derive_keys(throwaway, frame->initiator_key, digest);
  if (!keys) return ++unopened, Actions{};
  std::string reply_topic = keys->reply_topic;
  detail::Channel candidate(std::move(*keys), detail::Direction::kToInitiator, std::move(reply_topic), topic());
  auto received = candidate.receive(message);
  if (received.arrival != Arrival::kInOrder || !detail::decode_empty(received.body.expose())) {
    return ++unopened, Actions{};
  }
  channel.emplace(std::move(candidate));
  throwaway = Secret<32>();
  step = JoinerStep::kWaitAccount;
  const SecretBytes body = detail::encode_device_info(device);
  return detail::actions(detail::publish(*channel, MessageType::kDeviceInfo, body.expose()));
}

Actions LinkJoiner::on_message(std::string_view topic, ByteView message, TimePoint now) {
  State& s = *state_;
  if (s.step == JoinerStep::kCreated || s.step == JoinerStep::kFinished) return {};
  if (detail::due(next_deadline(), now)) return on_timer(now);
  if (topic != s.topic()) return {};
  if (s.step == JoinerStep::kWaitHello) return s.on_hello(message);
  auto received = s.channel->receive(message);
  switch (received.arrival) {
    case Arrival::kUnopened: ++s.unopened; return {};
    case Arrival::kDuplicate: return {};  // relays deliver at least once
    case Arrival::kAhead:
      // During the history, the chunk index orders the stream, and a gap is an interruption to resume.
      if (s.step != JoinerStep::kHistory) {
        return s.fail("a message from the other device is missing (sequence gap): the path dropped or reordered it");
      }
      s.channel->skip_to(received.frame.seq + 1);
      break;
    case Arrival::kInOrder: break;
  }
  return s.handle(received.frame.type, received.frame, received.body.expose(), now);
}

Actions LinkJoiner::State::handle(MessageType type, const detail::Frame& frame, ByteView body, TimePoint now) {
  const auto malformed = [&](const Error& error) {
    return fail("the other device sent a malformed " + std::string(detail::name_of(type)) + ": " + error.message);
  };
  if (step == JoinerStep::kWaitAccount && type == MessageType::kAccount) {
    auto account = detail::decode_account(body);
    if (!account) return malformed(account.error());
    if (!offers(uri.caps, account->kind)) {
      return fail("the other device sent a full account, but this device offered light only");
    }
    step = JoinerStep::kWaitRecord;
    return detail::actions(InstallAccount{std::move(*account)});
  }
  if (step == JoinerStep::kWaitAccount && type == MessageType::kRefused) {
    if (auto empty = detail::decode_empty(body); !empty) return malformed(empty.error());
    return fail("the other device's user refused the link");
  }
  if (step == JoinerStep::kWaitWelcome && type == MessageType::kWelcome) {
    auto list = detail::decode_bounded(body, kMaxBlobLength);
    if (!list) return malformed(list.error());
    step = JoinerStep::kWaitCommit;
    return detail::actions(Commit{std::move(*list)});
  }
  if (step == JoinerStep::kHistory && type == MessageType::kHistoryChunk) return on_chunk(frame.chunk, body, now);
  return fail("the other device sent " + std::string(detail::name_of(type)) + " while this device waited for " +
              waiting_for());
}

Actions LinkJoiner::State::on_chunk(const detail::ChunkHeader& chunk, ByteView body, TimePoint now) {
  if (body.size() > kMaxChunkLength) return fail("the other device sent a history chunk over the size limit");
  if (total == 0) total = chunk.total;
  if (chunk.total != total) return fail("the history stream changed its length part way: it was altered");
  if (chunk.round < round) return {};  // sent before A read B's latest resume request
  if (chunk.round > round) return fail("the history stream names a resume this device never asked for");
  if (chunk.index < next_index) return {};
  // A chunk of this round is missing: never store out of order; ask for the stream again from the gap.
  if (chunk.index > next_index) return request_resume();
  ++next_index;
  idle_deadline = now + options.history_idle_timeout;
  Actions out;
  out.emplace_back(HistoryChunkReceived{chunk.index, total, SecretBytes(body)});
  out.emplace_back(Progress{next_index, total});
  out.emplace_back(detail::publish(*channel, MessageType::kHistoryAck, detail::encode_index(next_index)));
  if (chunk.last) {
    step = JoinerStep::kFinished;
    out.emplace_back(Unsubscribe{topic()});
    out.emplace_back(HistoryDone{});
  }
  return out;
}

Actions LinkJoiner::on_installation_record(ByteView record, TimePoint now) {
  State& s = *state_;
  if (s.step != JoinerStep::kWaitRecord) return {};
  KEYLINK_CHECK(record.size() <= kMaxBlobLength);
  if (now >= s.handshake_deadline) return on_timer(now);
  s.step = JoinerStep::kWaitWelcome;
  return detail::actions(detail::publish(*s.channel, MessageType::kInstalled, record));
}

// The commit happened: it is answered whatever the time, since B is now a device of the account.
Actions LinkJoiner::on_committed(TimePoint now) {
  State& s = *state_;
  if (s.step != JoinerStep::kWaitCommit) return {};
  s.step = JoinerStep::kHistory;
  s.idle_deadline = now + s.options.history_idle_timeout;
  return detail::actions(detail::publish(*s.channel, MessageType::kCommitted, {}), Done{});
}

Actions LinkJoiner::resume_history(TimePoint now) {
  State& s = *state_;
  if (s.step != JoinerStep::kHistory) return {};
  s.idle_deadline = now + s.options.history_idle_timeout;
  return s.request_resume();
}

Actions LinkJoiner::on_timer(TimePoint now) {
  State& s = *state_;
  if (!detail::due(next_deadline(), now)) return {};
  if (s.step == JoinerStep::kWaitHello) {
    return s.fail("link URI expired before the other device answered; make a new one");
  }
  return s.fail("the link timed out waiting for " + s.waiting_for());
}

std::optional<TimePoint> LinkJoiner::next_deadline() const {
  switch (state_->step) {
    case JoinerStep::kCreated:
    case JoinerStep::kWaitCommit:  // the runtime's own transaction: it answers whatever the time
    case JoinerStep::kFinished: return std::nullopt;
    case JoinerStep::kHistory: return state_->idle_deadline;
    default: return state_->handshake_deadline;
  }
}

std::uint32_t LinkJoiner::unopened_messages() const { return state_->unopened; }
bool LinkJoiner::finished() const { return state_->step == JoinerStep::kFinished; }

LinkJoiner::LinkJoiner(std::unique_ptr<State> state) : state_(std::move(state)) {}
LinkJoiner::LinkJoiner(LinkJoiner&&) noexcept = default;
LinkJoiner& LinkJoiner::operator=(LinkJoiner&&) noexcept = default;
LinkJoiner::~LinkJoiner() = default;

}  // namespace keylink::link
