#include "keylink/runtime/device_link.h"

#include <utility>  // before Boost.Asio (Boost 1.74, g++ 12, C++20)

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <charconv>
#include <variant>
#include <vector>

#include "keylink/identity/eth_account.h"
#include "keylink/keystore/local_keystore.h"
#include "keylink/link/initiator.h"
#include "keylink/link/joiner.h"
#include "keylink/messaging/message_store.h"
#include "keylink/runtime/device_store.h"
#include "keylink/runtime/devices.h"
#include "keylink/runtime/link_channel.h"
#include "keylink/store/transaction.h"
#include "keylink/sync/errors.h"
#include "keylink/wire/errors.h"
#include "keylink/wire/xmtp/linked_account.h"

namespace keylink::runtime {
namespace {

namespace asio = boost::asio;
namespace wx = wire::xmtp;

// A history chunk's messages, by their stored sizes: well under the relay's largest link message
// (kMaxRelayLinkMessage), with room for the encoding and the link's seal.
constexpr std::size_t kHistoryChunkBytes = 128 * 1024;

auto link_error(std::string reason) { return fail(wire::Errc::kMalformed, std::move(reason)); }

// "IP:PORT" or "[IPv6]:PORT", port 0 to 65535 (0: any free one), as `keylink link --lan` takes it; the
// host is checked by the listener (an IP address, no name).
Result<std::pair<std::string, std::uint16_t>> split_lan(const std::string& address) {
  const auto colon = address.rfind(':');
  unsigned port = 0;
  const char* begin = address.data() + (colon == std::string::npos ? 0 : colon + 1);
  const char* end = address.data() + address.size();
  const auto parsed = std::from_chars(begin, end, port);
  if (colon == std::string::npos || begin == end || parsed.ec != std::errc() || parsed.ptr != end || port > 65535) {
    return link_error("'" + address + "' is not IP:PORT (port 0 to 65535)");
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return std::pair{std::move(host), static_cast<std::uint16_t>(port)};
}

}  // namespace

// What both roles share: the machine's actions carried out over the channel, its deadline on a timer,
// and the end reported once. Role is AccountLink::State or JoinLink::State, which handle the actions
// that touch the home.
template <class Machine, class Role>
class LinkDriver : public std::enable_shared_from_this<Role> {
 public:
  LinkDriver(asio::io_context& io, Home& home, DeviceLinkOptions options, Rng& rng, const Clock& clock,
             DeviceLinkCallbacks callbacks)
      : io_(io), home_(home), options_(std::move(options)), rng_(rng), clock_(clock),
        callbacks_(std::move(callbacks)), timer_(io) {}
  virtual ~LinkDriver() {
    if (channel_) channel_->stop();
  }

 protected:
  Role& role() { return static_cast<Role&>(*this); }

  LinkChannelCallbacks channel_callbacks() {
    std::weak_ptr<Role> weak = this->shared_from_this();
    LinkChannelCallbacks callbacks;
    callbacks.on_up = [weak] {
      if (auto self = weak.lock()) self->on_channel_up();
    };
    callbacks.on_message = [weak](Bytes message) {
      if (auto self = weak.lock()) self->on_channel_message(std::move(message));
    };
    callbacks.on_down = [weak](const Error& why) {
      if (auto self = weak.lock()) self->on_channel_down(why);
    };
    callbacks.on_send_failed = [weak](const Error& why) {
      if (auto self = weak.lock()) self->finish(fail(context("a link message did not reach the relay", why)));
    };
    return callbacks;
  }

  // The relay path, opened at the machine's first Subscribe (its inbound topic).
  Result<void> open_relay_channel(const std::string& inbound, const std::string& outbound) {
    RelayLinkOptions options{options_.relay, inbound, outbound};
    auto opened = RelayLinkChannel::open(io_, std::move(options), rng_, clock_, channel_callbacks());
    if (!opened) return fail(opened.error());
    relay_ = opened->get();
    channel_ = std::move(*opened);
    return {};
  }

  virtual void on_channel_up() {
    if (!begun_) {
      begun_ = true;
      perform(machine_->begin(clock_.now()));
    } else if (was_down_) {
      role().on_reconnected();
    }
    was_down_ = false;
  }
  void on_channel_message(Bytes message) {
    if (!machine_ || finished_) return;
    if (!options_.tap) return receive(message);
    for (const auto& tapped : options_.tap(DeviceLinkOptions::TapDirection::kReceived, std::move(message))) {
      receive(tapped);
    }
  }
  void receive(ByteView message) {
    if (!finished_) perform(machine_->on_message(inbound_topic_, message, clock_.now()));
  }
  void on_channel_down(const Error& why) {
    was_down_ = true;
    if (!relay_) finish(fail(context("the LAN connection ended", why)));  // a LAN link is one connection
  }

  // Carries out the machine's actions in order, then sets the timer to its next deadline.
  void perform(link::Actions actions) {
    for (auto& action : actions) {
      if (finished_) return;
      std::visit([this](auto& a) { this->handle(a); }, action);
    }
    arm_timer();
  }

  void handle(link::Subscribe& subscribe) {
    inbound_topic_ = subscribe.topic;
    if (!channel_) {
      if (auto opened = open_relay_channel(subscribe.topic, role().outbound_topic()); !opened) finish(opened);
    }
  }
  void handle(link::Unsubscribe&) {}
  void handle(link::Publish& publish) {
    if (relay_ && publish.topic != relay_->outbound_topic()) {
      if (auto set = relay_->set_outbound_topic(publish.topic); !set) return finish(set);
    }
    if (!options_.tap) return send(publish.message);
    for (const auto& tapped : options_.tap(DeviceLinkOptions::TapDirection::kSent, std::move(publish.message))) {
      send(tapped);
    }
  }
  void send(ByteView message) {
    if (finished_) return;
    if (auto sent = channel_->send(message); !sent) finish(fail(context("sending a link message", sent.error())));
  }
  void handle(link::Progress& progress) {
    if (callbacks_.on_progress) callbacks_.on_progress(progress.done, progress.total);
  }
  void handle(link::HistoryDone&) { finish({}); }
  void handle(link::Failed& failed) { finish(link_error(failed.reason)); }
  template <class Other>
  void handle(Other& action) {
    role().on_action(action);
  }

  void arm_timer() {
    const auto deadline = machine_ ? machine_->next_deadline() : std::nullopt;
    timer_.cancel();
    if (!deadline || finished_) return;
    const auto wait = std::max(*deadline - clock_.now(), TimePoint::duration::zero());
    timer_.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(wait));
    timer_.async_wait([weak = std::weak_ptr<Role>(this->shared_from_this())](const boost::system::error_code& error) {
      if (error) return;
      if (auto self = weak.lock(); self && !self->finished_) self->perform(self->machine_->on_timer(self->clock_.now()));
    });
  }

  // Ends the link once: stops the channel and the timer, then tells the owner (on the io_context, never
  // from within the call that ended it).
  void finish(Result<void> result) {
    if (finished_) return;
    finished_ = true;
    timer_.cancel();
    if (channel_) channel_->stop();
    asio::post(io_, [callback = callbacks_.on_done, result = std::move(result)]() mutable {
      if (callback) callback(std::move(result));
    });
  }

  asio::io_context& io_;
  Home& home_;
  DeviceLinkOptions options_;
  Rng& rng_;
  const Clock& clock_;
  DeviceLinkCallbacks callbacks_;
  asio::steady_timer timer_;
  std::optional<Machine> machine_;
  std::unique_ptr<LinkChannel> channel_;
  RelayLinkChannel* relay_ = nullptr;  // channel_, when it is the relay path
  std::string inbound_topic_;
  bool begun_ = false;
  bool was_down_ = false;
  bool finished_ = false;
};

// ---------------------------------------------------------------------------------------------------
// Device A.

struct AccountLink::State : LinkDriver<link::LinkInitiator, AccountLink::State> {
  using LinkDriver::LinkDriver;

  std::optional<link::LinkUri> uri;
  std::unique_ptr<keystore::LocalKeystore> keystore;
  std::optional<DeviceStore> devices;
  std::optional<messaging::MessageStore> messages;
  std::optional<sync::InstallationList> staged_list;  // with B, stored at Done
  std::vector<messaging::MessageStore::PageBound> history;
  std::optional<link::Capabilities> offered;

  std::string outbound_topic() const { return link::topic_text(uri->topic); }
  void on_reconnected() {}

  Result<void> start(std::string_view text) {
    auto parsed = link::LinkUri::parse(text, clock_.now());
    // The code is burnt by any URI that names one, good or bad (one try): even an expired URI's.
    auto store = DeviceStore::open(home_.db(), home_.vault());
    if (!store) return fail(store.error());
    devices.emplace(std::move(*store));
    auto code = devices->code();
    if (!code) return fail(code.error());
    if (!*code) return link_error("this device shows no code: run `keylink devices code` first");
    if (!parsed) {
      (*code)->used = true;
      if (auto saved = devices->save_code(**code, rng_); !saved) return fail(saved.error());
      return fail(parsed.error());
    }
    uri = std::move(*parsed);
    auto initiator = link::LinkInitiator::create(*uri, **code, rng_, clock_.now(), options_.link);
    if (auto saved = devices->save_code(**code, rng_); !saved) return fail(saved.error());
    if (!initiator) return fail(initiator.error());
    machine_.emplace(std::move(*initiator));

    auto loaded = keystore::LocalKeystore::load(home_.db(), home_.vault(), rng_);
    if (!loaded) return fail(loaded.error());
    keystore = std::move(*loaded);
    if (auto enrolled = enroll_first_device(home_, *keystore, options_.name, options_.platform, rng_, clock_);
        !enrolled) {
      return fail(enrolled.error());
    }
    auto opened = messaging::MessageStore::open(home_.db(), home_.vault(), rng_);
    if (!opened) return fail(opened.error());
    messages.emplace(std::move(*opened));

    if (uri->lan) {
      auto connected = LanLinkChannel::connect(io_, *uri->lan, {}, channel_callbacks());
      if (!connected) return fail(connected.error());
      channel_ = std::move(*connected);
    } else {
      begun_ = true;
      perform(machine_->begin(clock_.now()));  // opens the relay path at its Subscribe
    }
    return {};
  }

  void on_action(link::AskUser& ask) {
    offered = ask.caps;
    if (callbacks_.on_ask) callbacks_.on_ask(ask.device, ask.caps);
  }

  void decide(std::optional<link::AccountKind> kind) {
    if (finished_ || !offered) return;
    if (!kind) return perform(machine_->on_user_refused(clock_.now()));
    auto account = payload(*kind);
    if (!account) return refuse_because(account.error());
    perform(machine_->on_user_accepted(std::move(*account), clock_.now()));
  }

  // This device cannot send what the user accepted (a full account without a recovery phrase): B is
  // told (Refused) so that it stops now, not at its timeout; this device reports why.
  void refuse_because(const Error& why) {
    for (auto& action : machine_->on_user_refused(clock_.now())) {
      if (auto* publish = std::get_if<link::Publish>(&action)) handle(*publish);
    }
    finish(fail(why));
  }

  Result<link::AccountPayload> payload(link::AccountKind kind) {
    if (!link::offers(*offered, kind)) return link_error("the new device did not offer to receive the full account");
    auto list = devices->list();
    if (!list) return fail(list.error());
    auto ring = devices->group_keys();
    if (!ring) return fail(ring.error());
    if (!*list || ring->empty()) return link_error("this device's installation list or group key is missing");
    link::AccountPayload out;
    out.kind = kind;
    out.identity_bundle = keystore->linked_account();
    const Bytes list_bytes = sync::encode(**list);
    out.installation_list = SecretBytes(list_bytes);
    out.device_group_key = sync::encode(*ring);
    // The link carries each blob whole (link::kMaxBlobLength): an account past it cannot link yet.
    for (const SecretBytes* blob : {&out.identity_bundle, &out.installation_list, &out.device_group_key}) {
      if (blob->size() > link::kMaxBlobLength) {
        return link_error("this account is too large to link: " + std::to_string(blob->size()) +
                          " bytes of keys and conversations, over the link's limit of " +
                          std::to_string(link::kMaxBlobLength));
      }
    }
    if (kind == link::AccountKind::kFull) {
      auto mnemonic = identity::EthAccount::load_mnemonic(home_.db(), home_.vault());
      if (!mnemonic) return fail(context("the full account needs this home's recovery phrase", mnemonic.error()));
      out.recovery_phrase = mnemonic->phrase();
    }
    return out;
  }

  void on_action(link::AddInstallation& add) {
    auto next = append(add.record);
    if (!next) return finish(fail(next.error()));
    const Bytes encoded = sync::encode(*next);
    staged_list = std::move(*next);
    perform(machine_->on_installation_list(encoded, clock_.now()));
  }

  Result<sync::InstallationList> append(ByteView bytes) {
    auto record = sync::decode_installation_record(bytes);
    if (!record) return fail(context("the new device's installation record", record.error()));
    const auto identity_public = keystore->identity_key().public_key();
    if (auto verified = sync::verify_installation_record(*record, identity_public); !verified) {
      return fail(context("the new device's installation record", verified.error()));
    }
    auto list = devices->list();
    if (!list) return fail(list.error());
    return sync::append_installation(**list, *record, keystore->identity_key());
  }

  void on_action(link::Done&) {
    if (auto saved = devices->save_list(*staged_list); !saved) return finish(fail(saved.error()));
    if (callbacks_.on_linked) callbacks_.on_linked();
    auto bounds = messages->page_bounds(kHistoryChunkBytes);
    if (!bounds) return finish(fail(bounds.error()));
    history = std::move(*bounds);
    perform(machine_->start_history(static_cast<std::uint32_t>(std::max<std::size_t>(history.size(), 1)),
                                    clock_.now()));
  }

  void on_action(link::NeedHistoryChunk& need) {
    std::vector<wx::HistoryMessage> chunk;
    if (need.index < history.size()) {
      auto page = messages->page(history[need.index].after, history[need.index].count);
      if (!page) return finish(fail(page.error()));
      chunk.reserve(page->messages.size());
      for (auto& m : page->messages) {
        // A message larger than a chunk (a big attachment) stays out: it would not fit the link's
        // message; the new device reads it from the relay with the rest of its conversation.
        if (m.content.size() > kHistoryChunkBytes) continue;
        chunk.push_back({std::move(m.id), std::move(m.topic), std::move(m.sender_address), m.sent_ns,
                         std::move(m.content)});
      }
    }
    perform(machine_->on_history_chunk(need.index, wx::encode_history_chunk(chunk), clock_.now()));
  }

  template <class Other>
  void on_action(Other&) {}  // B's actions never come to A
};

Result<std::unique_ptr<AccountLink>> AccountLink::start(asio::io_context& io, Home& home, std::string_view uri,
                                                        DeviceLinkOptions options, Rng& rng, const Clock& clock,
                                                        DeviceLinkCallbacks callbacks) {
  auto state = std::make_shared<State>(io, home, std::move(options), rng, clock, std::move(callbacks));
  if (auto started = state->start(uri); !started) return fail(started.error());
  return std::unique_ptr<AccountLink>(new AccountLink(std::move(state)));
}

AccountLink::AccountLink(std::shared_ptr<State> state) : state_(std::move(state)) {}
AccountLink::~AccountLink() = default;
void AccountLink::decide(std::optional<link::AccountKind> kind) { state_->decide(kind); }
const link::LinkUri& AccountLink::uri() const { return *state_->uri; }

// ---------------------------------------------------------------------------------------------------
// Device B.

struct JoinLink::State : LinkDriver<link::LinkJoiner, JoinLink::State> {
  using LinkDriver::LinkDriver;

  // Staged in memory between InstallAccount and Commit; nothing is on disk before Commit.
  std::optional<link::AccountPayload> account;
  std::optional<sync::InstallationKeys> keys;
  std::optional<messaging::MessageStore> messages;

  const link::LinkUri& link_uri() const { return machine_->uri(); }

  // B publishes to A's reply topic, which its first Publish names.
  std::string outbound_topic() const { return {}; }
  void on_reconnected() { perform(machine_->resume_history(clock_.now())); }

  Result<void> start(std::string_view code, std::optional<std::string> lan) {
    if (keystore::LocalKeystore::load(home_.db(), home_.vault(), rng_)) {
      return link_error("this home has a messaging identity already: link a new home (another --home)");
    }
    std::optional<std::string> advertised;
    if (lan) {
      auto where = split_lan(*lan);
      if (!where) return fail(where.error());
      auto listening = LanLinkChannel::listen(io_, where->first, where->second, {}, channel_callbacks());
      if (!listening) return fail(listening.error());
      advertised = (*listening)->address();
      channel_ = std::move(*listening);
    }
    auto joiner = link::LinkJoiner::create(code, link::Capabilities::kLightAndFull,
                                           link::DeviceInfo{options_.name, options_.platform}, rng_, clock_.now(),
                                           advertised, options_.link);
    if (!joiner) return fail(joiner.error());
    machine_.emplace(std::move(*joiner));
    begun_ = true;
    perform(machine_->begin(clock_.now()));  // subscribes (relay) or waits for A (LAN)
    if (lan) {  // listening already
      asio::post(io_, [weak = std::weak_ptr<State>(shared_from_this())] {
        if (auto self = weak.lock(); self && !self->ready) self->announce_ready();
      });
    }
    return {};
  }

  // B has begun already: the first time, the URI can be shown (over the relay, only now does B listen
  // on its topic: a Hello sent before would be lost, ephemeral); after a reconnect, the history resumes.
  void on_channel_up() override {
    if (!ready) announce_ready();
    if (was_down_) on_reconnected();
    was_down_ = false;
  }
  void announce_ready() {
    ready = true;
    if (callbacks_.on_ready) callbacks_.on_ready();
  }
  bool ready = false;

  void on_action(link::InstallAccount& install) {
    auto record = make_record(install.account);
    if (!record) return finish(fail(record.error()));
    account = std::move(install.account);
    perform(machine_->on_installation_record(*record, clock_.now()));
  }

  Result<Bytes> make_record(const link::AccountPayload& payload) {
    auto linked = wx::decode_linked_account(payload.identity_bundle.expose());
    if (!linked) return fail(context("the account the link carried", linked.error()));
    keys.emplace(sync::InstallationKeys::generate(rng_));
    auto record = sync::make_installation_record(*keys, options_.name, options_.platform,
                                                 clock_.unix_millis() / 1000, linked->identity.identity_key.secret);
    if (!record) return fail(record.error());
    return sync::encode(*record);
  }

  void on_action(link::Commit& commit) {
    if (auto committed = commit_account(commit.installation_list); !committed) return finish(committed);
    perform(machine_->on_committed(clock_.now()));
  }

  // The only step that writes B's home: the account, its installation keys, the list and the group key,
  // all or nothing. A full account's wallet follows in a transaction of its own.
  Result<void> commit_account(ByteView list_bytes) {
    auto linked = wx::decode_linked_account(account->identity_bundle.expose());
    if (!linked) return fail(linked.error());
    auto list = sync::decode_installation_list(list_bytes);
    if (!list) return fail(context("the installation list", list.error()));
    const auto identity_public = linked->identity.identity_key.secret.public_key();
    if (auto verified = sync::verify_list(*list, identity_public); !verified) {
      return fail(context("the installation list", verified.error()));
    }
    if (sync::classify(*list, keys->id(), keys->id()) != sync::InstallationClass::kThisDevice) {
      return link_error("the installation list does not enable this device");
    }
    auto ring = sync::decode_group_key_ring(account->device_group_key.expose());
    if (!ring) return fail(context("the device-group keys", ring.error()));
    {
      auto txn = store::Transaction::begin(home_.db());
      if (!txn) return fail(txn.error());
      auto devices = DeviceStore::open(home_.db(), home_.vault());
      if (!devices) return fail(devices.error());
      if (auto adopted = keystore::LocalKeystore::adopt(home_.db(), home_.vault(), std::move(*linked), rng_); !adopted) {
        return fail(adopted.error());
      }
      if (auto saved = devices->save_keys(*keys, rng_); !saved) return fail(saved.error());
      if (auto saved = devices->save_list(*list); !saved) return fail(saved.error());
      if (auto saved = devices->save_group_keys(*ring, rng_); !saved) return fail(saved.error());
      if (auto committed = txn->commit(); !committed) return fail(committed.error());
    }
    if (account->recovery_phrase) {
      std::string phrase(as_chars(account->recovery_phrase->expose()));
      auto mnemonic = identity::Mnemonic::parse(phrase);
      secure_wipe(phrase.data(), phrase.size());
      if (!mnemonic) return fail(context("the recovery phrase the link carried", mnemonic.error()));
      auto restored = identity::EthAccount::restore(home_.db(), home_.vault(), rng_, *mnemonic);
      if (!restored) return fail(context("the account's wallet", restored.error()));
    }
    account.reset();
    auto opened = messaging::MessageStore::open(home_.db(), home_.vault(), rng_);
    if (!opened) return fail(opened.error());
    messages.emplace(std::move(*opened));
    return {};
  }

  void on_action(link::Done&) {
    if (callbacks_.on_linked) callbacks_.on_linked();
  }

  void on_action(link::HistoryChunkReceived& chunk) {
    auto decoded = wx::decode_history_chunk(chunk.bytes.expose());
    if (!decoded) return finish(fail(context("history chunk " + std::to_string(chunk.index), decoded.error())));
    auto txn = store::Transaction::begin(home_.db());
    if (!txn) return finish(fail(txn.error()));
    for (auto& m : *decoded) {
      const messaging::StoredMessage message{std::move(m.id), std::move(m.topic), std::move(m.sender_address), m.sent_ns,
                                             std::move(m.content)};
      if (auto added = messages->add(message, rng_); !added) return finish(fail(added.error()));
    }
    if (auto committed = txn->commit(); !committed) finish(fail(committed.error()));
  }

  template <class Other>
  void on_action(Other&) {}  // A's actions never come to B
};

Result<std::unique_ptr<JoinLink>> JoinLink::start(asio::io_context& io, Home& home, std::string_view code,
                                                  std::optional<std::string> lan, DeviceLinkOptions options, Rng& rng,
                                                  const Clock& clock, DeviceLinkCallbacks callbacks) {
  auto state = std::make_shared<State>(io, home, std::move(options), rng, clock, std::move(callbacks));
  if (auto started = state->start(code, std::move(lan)); !started) return fail(started.error());
  return std::unique_ptr<JoinLink>(new JoinLink(std::move(state)));
}

JoinLink::JoinLink(std::shared_ptr<State> state) : state_(std::move(state)) {}
JoinLink::~JoinLink() = default;
const link::LinkUri& JoinLink::uri() const { return state_->link_uri(); }

}  // namespace keylink::runtime
