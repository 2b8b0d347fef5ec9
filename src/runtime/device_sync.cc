#include "keylink/runtime/device_sync.h"

#include "keylink/identity/keystore_errors.h"

#include <set>
#include <utility>  // before Boost.Asio (Boost 1.74, g++ 12, C++20)

#include <boost/asio/post.hpp>

#include "keylink/runtime/devices.h"
#include "keylink/store/transaction.h"
#include "keylink/sync/errors.h"
#include "keylink/sync/sync_message.h"
#include "keylink/wire/errors.h"

namespace keylink::runtime {
namespace {

namespace wx = wire::xmtp;

// A device that wrote nothing for this long writes an empty message, so that the others see it.
constexpr std::int64_t kHeartbeatMs = 10 * 60 * 1000;

// The group topic in XMTP's envelope: the relay topic is its hash, as for every content topic.
std::string group_topic(const sync::GroupKey& key) { return "/keylink/0/g-" + key.topic() + "/proto"; }

messaging::Consent to_messaging(std::uint64_t consent) {
  switch (static_cast<sync::Consent>(consent)) {
    case sync::Consent::kAllowed: return messaging::Consent::kAllowed;
    case sync::Consent::kDenied: return messaging::Consent::kDenied;
    case sync::Consent::kUnknown: break;
  }
  return messaging::Consent::kUnknown;
}

}  // namespace

struct DeviceSync::State {
  State(XmtpNode& node_in, Rng& rng_in, const Clock& clock_in, DeviceStore store_in, sync::InstallationKeys keys_in,
        sync::InstallationList list_in, sync::GroupKeyRing ring_in, sync::SyncState state_in)
      : node(node_in), rng(rng_in), clock(clock_in), store(std::move(store_in)),
        keys(std::move(keys_in)), list(std::move(list_in)), ring(std::move(ring_in)), state(std::move(state_in)) {}

  XmtpNode& node;
  Rng& rng;
  const Clock& clock;
  DeviceStore store;
  sync::InstallationKeys keys;
  sync::InstallationList list;
  sync::GroupKeyRing ring;
  sync::SyncState state;

  const crypto::Secp256k1PrivateKey& identity_key() const { return node.local_keystore()->identity_key(); }

  Result<void> reload() {
    auto stored_list = store.list();
    if (!stored_list) return fail(stored_list.error());
    auto stored_ring = store.group_keys();
    if (!stored_ring) return fail(stored_ring.error());
    auto stored_state = store.state(keys.id());
    if (!stored_state) return fail(stored_state.error());
    if (*stored_list) list = std::move(**stored_list);
    if (!stored_ring->empty()) ring = std::move(*stored_ring);
    state = std::move(*stored_state);
    return {};
  }

  // One message of a group topic. Hostile input is refused into the report; only a failed write fails.
  Result<void> receive(const wx::Envelope& envelope, DeviceSyncReport& report) {
    auto first = store.first_read(crypto::sha256(envelope.message));
    if (!first) return fail(first.error());
    if (!*first) return {};  // read before: a read starts at the last one's millisecond
    const auto kind = sync::group_topic_message(envelope.message);
    if (!kind) {
      report.refused.push_back("not a keylink sync message");
      return {};
    }
    const std::int64_t at_ms = static_cast<std::int64_t>(envelope.timestamp_ns / 1'000'000);
    return *kind == sync::GroupTopicMessage::kSyncMessage ? receive_changes(envelope.message, at_ms, report)
                                                           : receive_record(envelope.message, report);
  }

  Result<void> receive_changes(ByteView bytes, std::int64_t at_ms, DeviceSyncReport& report) {
    auto opened = sync::open_sync_message(bytes, ring, list);
    if (!opened) {
      report.refused.push_back(opened.error().message);
      // A valid signature by a key that is not listed: a ghost, shown as such and never trusted.
      if (opened.error().code == sync::Errc::kNotEnabled) {
        if (auto signer = sync::sync_message_signer(bytes); signer && !list.find(*signer)) {
          return store.record_seen(*signer, at_ms, true);
        }
      }
      return {};
    }
    for (const auto& change : opened->changes) {
      auto applied = state.apply(change);
      if (!applied) {
        report.refused.push_back(applied.error().message);
        continue;
      }
      if (!*applied) continue;
      ++report.changes;
      if (change.kind == sync::RecordKind::kContactConsent) {
        const std::uint64_t at_ns = static_cast<std::uint64_t>(at_ms) * 1'000'000;
        if (auto mirrored = node.messages().set_consent(change.key, to_messaging(change.number), at_ns); !mirrored) {
          return mirrored;
        }
      }
    }
    if (auto saved = store.save_state(state); !saved) return saved;
    return store.record_seen(opened->sender, at_ms, false);
  }

  Result<void> receive_record(ByteView bytes, DeviceSyncReport& report) {
    auto opened = sync::open_account_record(bytes, ring);
    if (!opened) {
      report.refused.push_back(opened.error().message);
      return {};
    }
    if (opened->kind == sync::AccountRecordKind::kInstallationList) return receive_list(opened->payload, report);
    auto rotation = sync::decode_key_rotation(opened->payload);
    if (!rotation) {
      report.refused.push_back(rotation.error().message);
      return {};
    }
    auto key = sync::open_rotation(*rotation, list, keys);
    if (!key) {
      // Nothing sealed to this device: it was removed, which the list says too (see sync()).
      if (key.error().code != sync::Errc::kNotForUs) report.refused.push_back(key.error().message);
      return {};
    }
    ring.add(std::move(*key));
    return store.save_group_keys(ring, rng);
  }

  Result<void> receive_list(ByteView bytes, DeviceSyncReport& report) {
    auto candidate = sync::decode_installation_list(bytes);
    if (!candidate) {
      report.refused.push_back(candidate.error().message);
      return {};
    }
    auto update = sync::update_list(list, *candidate, identity_key());
    if (!update) {
      // An older version that adds nothing is the topic's own history (every version stays there for
      // its ttl): refused, and not worth a word. A forgery is.
      if (update.error().code != sync::Errc::kRollback) report.refused.push_back(update.error().message);
      return {};
    }
    if (!*update) return {};
    list = std::move((*update)->list);
    return store.save_list(list);
  }

  // Reads the group topics not read yet in this sync, one after the other (a rotation read on one adds
  // the next); then publishes.
  void read_next(std::shared_ptr<std::set<std::string>> read, std::shared_ptr<DeviceSyncReport> report,
                 Done<DeviceSyncReport> done) {
    for (const auto& key : ring.keys()) {
      const std::string topic = group_topic(key);
      if (!read->insert(topic).second) continue;
      node.read_new(
          topic, [this, report](const wx::Envelope& envelope) { return receive(envelope, *report); },
          [this, read, report, done = std::move(done)](Result<void> result) mutable {
            if (!result) return done(fail(result.error()));
            read_next(std::move(read), std::move(report), std::move(done));
          });
      return;
    }
    const auto* me = list.find(keys.id());
    report->removed = me && me->status == sync::InstallationStatus::kRemoved;
    if (report->removed) return done(std::move(*report));  // a removed device tells nobody anything
    if (auto published = publish_news(); !published) return done(fail(published.error()));
    done(std::move(*report));
  }

  // This device's list when it is newer than what it published (a link it made, a merge it made, a
  // link that made it), and a heartbeat when it has been quiet.
  Result<void> publish_news() {
    auto published = store.published();
    if (!published) return fail(published.error());
    const std::int64_t now_ms = clock.unix_millis();
    std::vector<Bytes> messages;
    if (list.version > published->list_version) {
      messages.push_back(sync::seal_account_record(sync::AccountRecordKind::kInstallationList, sync::encode(list),
                                                   ring.current(), rng));
    }
    if (now_ms - published->heartbeat_ms >= kHeartbeatMs) {
      auto heartbeat = sync::seal_sync_message({}, ring.current(), keys, rng);
      if (!heartbeat) return fail(heartbeat.error());
      messages.push_back(std::move(*heartbeat));
    }
    if (messages.empty()) return {};
    return node.publish_to(group_topic(ring.current()), messages, [&] {
      return store.save_published({list.version, now_ms});
    });
  }
};

Result<std::unique_ptr<DeviceSync>> DeviceSync::open(Home& home, XmtpNode& node, const std::string& name,
                                                    const std::string& platform, Rng& rng, const Clock& clock) {
  if (node.local_keystore() == nullptr) {
    return fail(identity::KeystoreErrc::kNoIdentity,
                "this home's messaging keys are in a wallet: link devices from the wallet's home");
  }
  if (auto enrolled = enroll_first_device(home, *node.local_keystore(), name, platform, rng, clock); !enrolled) {
    return fail(enrolled.error());
  }
  auto store = DeviceStore::open(home.db(), home.vault());
  if (!store) return fail(store.error());
  auto keys = store->keys();
  if (!keys) return fail(keys.error());
  auto list = store->list();
  if (!list) return fail(list.error());
  auto ring = store->group_keys();
  if (!ring) return fail(ring.error());
  if (!*keys || !*list || ring->empty()) {
    return fail(wire::Errc::kMalformed, "this home's device state is incomplete (keys, list or group key missing)");
  }
  auto state = store->state((*keys)->id());
  if (!state) return fail(state.error());
  return std::unique_ptr<DeviceSync>(new DeviceSync(std::make_unique<State>(
      node, rng, clock, std::move(*store), std::move(**keys), std::move(**list), std::move(*ring),
      std::move(*state))));
}

DeviceSync::DeviceSync(std::unique_ptr<State> state) : state_(std::move(state)) {}
DeviceSync::~DeviceSync() = default;

void DeviceSync::sync(Done<DeviceSyncReport> done) {
  // What a link made since (AccountLink stores the list it grew), and what another DeviceSync on this
  // home wrote, count: the home is the truth, not this object's copy.
  if (auto reloaded = state_->reload(); !reloaded) {
    return boost::asio::post(state_->node.io_context(), [done = std::move(done), error = reloaded.error()] {
      done(fail(error));
    });
  }
  state_->read_next(std::make_shared<std::set<std::string>>(), std::make_shared<DeviceSyncReport>(), std::move(done));
}

Result<void> DeviceSync::change(sync::Change change) {
  State& s = *state_;
  auto stamped = s.state.apply_local(std::move(change));
  if (!stamped) return fail(stamped.error());
  auto sealed = sync::seal_sync_message({*stamped}, s.ring.current(), s.keys, s.rng);
  if (!sealed) return fail(sealed.error());
  return s.node.publish_to(group_topic(s.ring.current()), {std::move(*sealed)},
                           [&] { return s.store.save_state(s.state); });
}

Result<void> DeviceSync::remove(const sync::InstallationId& id) {
  State& s = *state_;
  if (id == s.keys.id()) return fail(wire::Errc::kMalformed, "this is this device: remove it from another one");
  auto next = sync::remove_installation(s.list, id, s.identity_key());
  if (!next) return fail(next.error());
  auto rotated = sync::rotate_group_key(s.ring, *next, s.keys, s.rng);
  if (!rotated) return fail(rotated.error());
  // On the current topic, which every remaining device reads; then this device seals with the new key.
  const std::string topic = group_topic(s.ring.current());
  std::vector<Bytes> messages{
      sync::seal_account_record(sync::AccountRecordKind::kInstallationList, sync::encode(*next), s.ring.current(), s.rng),
      sync::seal_account_record(sync::AccountRecordKind::kKeyRotation, sync::encode(rotated->rotation), s.ring.current(),
                                s.rng)};
  sync::GroupKeyRing ring;
  for (const auto& key : s.ring.keys()) ring.add(key.clone());
  ring.add(rotated->key.clone());
  auto published = s.node.publish_to(topic, messages, [&]() -> Result<void> {
    if (auto saved = s.store.save_list(*next); !saved) return saved;
    if (auto saved = s.store.save_group_keys(ring, s.rng); !saved) return saved;
    return s.store.save_published({next->version, s.clock.unix_millis()});
  });
  if (!published) return published;
  s.list = std::move(*next);
  s.ring = std::move(ring);
  return {};
}

const sync::SyncState& DeviceSync::state() const noexcept { return state_->state; }
const sync::InstallationList& DeviceSync::list() const noexcept { return state_->list; }
const sync::InstallationId& DeviceSync::self() const noexcept { return state_->keys.id(); }

}  // namespace keylink::runtime
