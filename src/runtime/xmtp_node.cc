#include "keylink/runtime/xmtp_node.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include <boost/asio/post.hpp>

#include "keylink/identity/eth_account.h"
#include "keylink/identity/keystore_errors.h"
#include "keylink/identity/private_store.h"
#include "keylink/identity/xmtp_identity.h"
#include "keylink/keystore/local_keystore.h"
#include "keylink/relay/outbox.h"
#include "keylink/runtime/xmtp_transport.h"
#include "keylink/store/transaction.h"
#include "keylink/wire/errors.h"
#include "keylink/wire/xmtp/contact.h"
#include "keylink/wire/xmtp/private_preferences.h"
#include "keylink/wire/xmtp/topics.h"

namespace keylink::runtime {
namespace {

namespace asio = boost::asio;
namespace wx = wire::xmtp;
using identity::ConversationReference;
using messaging::Received;

// One sync reads at most this many relay messages of a topic and the next carries on from there
// (XmtpTransport::query_pages, MessageStore::read_cursor): a topic flooded with junk costs some syncs
// part of their reading, and never fails one.
constexpr std::size_t kMaxReadPerSync = 10'000;
// A topic is read from when the relay received the last message read on it (its clock, not the
// senders': a message that waited in a sender's outbox arrives later than it is dated). The relay's
// time is taken at most this far past ours, so that a relay clock far ahead cannot hide what follows.
constexpr std::int64_t kMaxRelaySkewMs = static_cast<std::int64_t>(messaging::kMaxClockSkewNs / 1'000'000);

class XmtpNodeCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "keylink.runtime.xmtp"; }
  std::string message(int) const override { return "no XMTP contact"; }
};

void merge(Received& into, Received&& from) {
  into.conversations.insert(into.conversations.end(), std::make_move_iterator(from.conversations.begin()),
                            std::make_move_iterator(from.conversations.end()));
  into.messages.insert(into.messages.end(), std::make_move_iterator(from.messages.begin()),
                       std::make_move_iterator(from.messages.end()));
  into.refused.insert(into.refused.end(), std::make_move_iterator(from.refused.begin()),
                      std::make_move_iterator(from.refused.end()));
  into.newest_ns = std::max(into.newest_ns, from.newest_ns);
}

// The newest bundle on a contact topic that `peer` signed, as a V2 bundle (a V1 bundle is converted as
// SignedPublicKeyBundle.fromLegacyBundle does). Newest by the creation times its signatures cover, not
// by the envelope's timestamp, which whoever republishes an old bundle sets as they like; of equal
// ones, the later on the topic. Contact::published_ns is the later of the two (a new pre-key makes a
// bundle newer, XmtpNode::rotate_pre_key).
std::optional<messaging::Contact> newest_contact(const std::vector<wx::Envelope>& envelopes,
                                                 const crypto::EthAddress& peer) {
  std::optional<messaging::Contact> best;
  std::pair<std::uint64_t, std::uint64_t> best_made{};
  for (const auto& envelope : envelopes) {
    auto bundle = wx::decode_contact_bundle(envelope.message);
    if (!bundle || !identity::verify_contact_of(*bundle, peer)) continue;
    auto v2 = std::holds_alternative<wx::SignedPublicKeyBundle>(*bundle)
                  ? Result<wx::SignedPublicKeyBundle>(std::get<wx::SignedPublicKeyBundle>(std::move(*bundle)))
                  : identity::signed_bundle_from_legacy(std::get<wx::PublicKeyBundle>(*bundle));
    if (!v2) continue;
    const auto made = identity::bundle_created_ns(*v2);
    if (!best || made >= best_made) {
      best_made = made;
      best = messaging::Contact{peer.to_string(), std::move(*v2), std::max(made.first, made.second)};
    }
  }
  return best;
}

}  // namespace

const std::error_category& xmtp_node_category() noexcept {
  static const XmtpNodeCategory category;
  return category;
}

struct XmtpNode::State {
  State(asio::io_context& io_in, Home& home_in, Rng& rng_in, const Clock& clock_in, XmtpNodeCallbacks callbacks_in)
      : io(io_in), home(home_in), rng(rng_in), clock(clock_in), callbacks(std::move(callbacks_in)) {}

  asio::io_context& io;
  Home& home;
  Rng& rng;
  const Clock& clock;
  XmtpNodeCallbacks callbacks;
  std::unique_ptr<relay::RelayOutbox> outbox;
  std::unique_ptr<messaging::MessageStore> store;
  std::unique_ptr<identity::Keystore> keystore;
  keystore::LocalKeystore* local = nullptr;  // keystore, when the keys are in this process
  std::unique_ptr<messaging::Messenger> messenger;
  std::unique_ptr<relay::RelayClient> client;
  std::unique_ptr<XmtpTransport> transport;
  bool watching = false;
  XmtpNode::Shown watch_shown = XmtpNode::Shown::kNotDenied;
  bool connected = false;
  std::vector<std::function<void()>> sent_waiters;
  std::vector<std::function<void()>> connect_waiters;

  // Queries need the relay: before the first connection they wait for it (start() may come after).
  void when_connected(std::function<void()> query) {
    if (connected) return query();
    connect_waiters.push_back(std::move(query));
  }
  void query_all(const std::string& topic, XmtpQueryOptions options,
                 std::function<void(Result<std::vector<wx::Envelope>>)> done) {
    when_connected([this, topic, options, done = std::move(done)]() mutable {
      transport->query_all(topic, options, std::move(done));
    });
  }

  void on_state(relay::RelayClient::State state, const std::string& why) {
    connected = state == relay::RelayClient::State::kConnected;
    if (connected) {
      for (auto& waiter : std::exchange(connect_waiters, {})) waiter();
    }
    if (callbacks.on_relay_state) callbacks.on_relay_state(state, why);
  }

  std::uint64_t now_ns() const { return static_cast<std::uint64_t>(clock.unix_millis()) * 1'000'000; }

  // Runs `step` in one transaction with the outbox rows it adds, then sends them.
  template <class Step>
  auto in_transaction(Step&& step) -> decltype(step()) {
    auto tx = store::Transaction::begin(home.db());
    if (!tx) return fail(tx.error());
    auto result = step();
    if (!result) return result;
    if (auto committed = tx->commit(); !committed) return fail(committed.error());
    client->flush_outbox();
    return result;
  }

  Result<void> enqueue(const std::vector<wx::Envelope>& envelopes) {
    for (const auto& envelope : envelopes) {
      if (auto added = transport->enqueue(envelope); !added) return fail(added.error());
    }
    return {};
  }

  // The contact bundles (with `also`), published once: my own contact in the cache says they are queued.
  Result<void> publish_identity_once(const std::vector<wx::Envelope>& also) {
    auto known = store->contact(keystore->account_address());
    if (!known) return fail(known.error());
    if (*known) return {};
    const auto wallet = crypto::EthAddress::parse(keystore->account_address());
    KEYLINK_CHECK(wallet.has_value());
    return in_transaction([&]() -> Result<void> {
      const auto envelopes = identity::contact_envelopes(*wallet, keystore->legacy_public_key_bundle(),
                                                         keystore->public_key_bundle(), clock);
      if (auto queued = enqueue(envelopes); !queued) return queued;
      if (auto queued = enqueue(also); !queued) return queued;
      return store->put_contact(keystore->account_address(), keystore->public_key_bundle(),
                                envelopes.front().timestamp_ns);
    });
  }

  // Whether a view that hides denied peers shows this conversation.
  Result<bool> shows(const ConversationReference& conversation) {
    auto consent = store->consent(conversation.peer_address);
    if (!consent) return fail(consent.error());
    return *consent != messaging::Consent::kDenied;
  }

  // on_message, for a conversation the watch shows.
  void tell(const messaging::DecodedMessage& message, const ConversationReference& conversation) {
    if (!callbacks.on_message) return;
    if (watch_shown == XmtpNode::Shown::kNotDenied) {
      auto shown = shows(conversation);
      if (!shown || !*shown) return;
    }
    callbacks.on_message(message, conversation);
  }

  void report(const std::vector<messaging::Refusal>& refused) {
    if (!callbacks.on_refused) return;
    for (const auto& refusal : refused) callbacks.on_refused(refusal);
  }

  // Moves a topic's read cursor to where the relay received the last message read (0: stays).
  Result<void> advance_cursor(const std::string& topic, std::int64_t read_to_ms) {
    if (read_to_ms <= 0) return {};
    return store->set_read_cursor(topic, std::min(read_to_ms, clock.unix_millis() + kMaxRelaySkewMs));
  }

  // Each receive_* commits what it stored with the topic's read cursor (read_to_ms: see
  // advance_cursor) and reports what it refused.
  Result<Received> receive(const ConversationReference& conversation, const std::vector<wx::Envelope>& envelopes,
                           std::int64_t read_to_ms = 0) {
    auto received = in_transaction([&]() -> Result<Received> {
      auto got = messenger->receive_messages(conversation, envelopes);
      if (!got) return got;
      if (auto moved = advance_cursor(conversation.topic, read_to_ms); !moved) return fail(moved.error());
      return got;
    });
    if (received) report(received->refused);
    return received;
  }

  // Envelopes of my invite topic (V2 invitations) or my intro topic (V1 introductions).
  Result<Received> receive_openings(const std::string& topic, const std::vector<wx::Envelope>& envelopes,
                                    std::int64_t read_to_ms = 0) {
    auto received = in_transaction([&]() -> Result<Received> {
      auto got = topic == messenger->invite_topic() ? messenger->receive_invites(envelopes)
                                                    : messenger->receive_intros(envelopes);
      if (!got) return got;
      if (auto moved = advance_cursor(topic, read_to_ms); !moved) return fail(moved.error());
      return got;
    });
    if (received) report(received->refused);
    if (received && watching) {
      for (const auto& conversation : received->conversations) transport->subscribe(conversation.topic);
    }
    return received;
  }

  // One topic to read, and what to do with each page of its envelopes.
  struct Read {
    std::string topic;
    std::function<Result<Received>(const std::vector<wx::Envelope>&, std::int64_t read_to_ms)> receive;
  };

  Read opening_read(const std::string& topic) {
    return {topic, [this, topic](const auto& envelopes, std::int64_t read_to_ms) {
              return receive_openings(topic, envelopes, read_to_ms);
            }};
  }

  Read conversation_read(const ConversationReference& conversation) {
    return {conversation.topic, [this, conversation](const auto& envelopes, std::int64_t read_to_ms) {
              return receive(conversation, envelopes, read_to_ms);
            }};
  }

  // Reads reads[index...] one after the other, each from its cursor and at most kMaxReadPerSync relay
  // messages, gathering what they received into `total`; each page commits with its cursor.
  void read_all(std::vector<Read> reads, std::size_t index, std::shared_ptr<Received> total, Done<Received> done) {
    if (index == reads.size()) return done(std::move(*total));
    auto cursor = store->read_cursor(reads[index].topic);
    if (!cursor) return done(fail(cursor.error()));
    XmtpQueryOptions options;
    options.page_limit = 1000;
    options.max_total = kMaxReadPerSync;
    if (*cursor > 0) options.published_from_ms = *cursor;
    when_connected(
        [this, reads = std::move(reads), index, total, options, from = *cursor, done = std::move(done)]() mutable {
          const std::string topic = reads[index].topic;
          auto on_page = [total, receive = reads[index].receive](XmtpPage page) -> Result<bool> {
            auto received = receive(page.envelopes, page.last_published_ms);
            if (!received) return fail(received.error());
            merge(*total, std::move(*received));
            return true;
          };
          transport->query_pages(topic, options, std::move(on_page),
                                 [this, reads = std::move(reads), index, total, from,
                                  done = std::move(done)](Result<XmtpPagesEnd> end) mutable {
                                   if (!end) return done(fail(context("reading " + reads[index].topic, end.error())));
                                   if (end->more) {
                                     if (auto unstuck = step_past(reads[index].topic, from); !unstuck)
                                       return done(fail(unstuck.error()));
                                   }
                                   read_all(std::move(reads), index + 1, std::move(total), std::move(done));
                                 });
        });
  }

  // A read that stopped at its bound without leaving the millisecond it began in (more than
  // kMaxReadPerSync messages the relay received in one ms) would begin there again forever: the rest
  // of that millisecond is skipped.
  Result<void> step_past(const std::string& topic, std::int64_t from) {
    auto now_at = store->read_cursor(topic);
    if (!now_at) return fail(now_at.error());
    if (*now_at != from || from <= 0) return {};
    report({messaging::Refusal{topic, Error{wire::make_error_code(wire::Errc::kTooLarge),
                                            "more than " + std::to_string(kMaxReadPerSync) +
                                                " messages received by the relay in one millisecond; the rest "
                                                "of them skipped"}}});
    return store->set_read_cursor(topic, from + 1);
  }

  // Reads my invite and intro topics, then conversations (with `peer` only, when given).
  void sync(const std::optional<crypto::EthAddress>& peer, Done<Received> done) {
    read_all({opening_read(messenger->invite_topic()), opening_read(messenger->intro_topic())}, 0,
             std::make_shared<Received>(), [this, peer, done = std::move(done)](Result<Received> opened) mutable {
               if (!opened) return done(std::move(opened));
               auto conversations = peer ? messenger->conversations(peer->to_string()) : messenger->conversations();
               if (!conversations) return done(fail(conversations.error()));
               std::vector<Read> reads;
               for (const auto& conversation : *conversations) reads.push_back(conversation_read(conversation));
               read_all(std::move(reads), 0, std::make_shared<Received>(std::move(*opened)), std::move(done));
             });
  }

  bool on_envelope(const wx::Envelope& envelope) {
    if (envelope.content_topic == messenger->invite_topic() || envelope.content_topic == messenger->intro_topic()) {
      auto received = receive_openings(envelope.content_topic, {envelope});
      if (received) {
        for (const auto& message : received->messages) {  // V1: an introduction is the first message
          auto conversation = std::find_if(received->conversations.begin(), received->conversations.end(),
                                           [&](const auto& c) { return c.topic == message.topic; });
          if (conversation != received->conversations.end()) tell(message, *conversation);
        }
      }
      return received.has_value();
    }
    auto conversations = messenger->conversations();
    if (!conversations) return false;
    const auto found = std::find_if(conversations->begin(), conversations->end(),
                                    [&](const auto& c) { return c.topic == envelope.content_topic; });
    if (found == conversations->end()) return true;  // not a conversation of mine (any more)
    auto received = receive(*found, {envelope});
    if (!received) return false;  // storage: unacked, it comes again
    for (const auto& message : received->messages) tell(message, *found);
    return true;
  }

  void fire_waiters() {
    if (sent_waiters.empty()) return;
    auto queued = outbox->count();
    if (queued && *queued > 0) return;
    for (auto& waiter : std::exchange(sent_waiters, {})) asio::post(io, std::move(waiter));
  }
};

namespace {

struct OpenedKeystore {
  std::unique_ptr<keystore::LocalKeystore> keystore;
  std::vector<wx::Envelope> to_publish;  // a new identity's backup on the private store topic
};

// The home's keystore, with an identity made from its wallet account on first use. A new identity is
// also backed up as xmtp-js backs one up (sealed with the wallet's signature on the private store topic),
// so that an XMTP app given the same wallet uses the same identity.
Result<OpenedKeystore> open_keystore(Home& home, Rng& rng, const Clock& clock) {
  auto loaded = keystore::LocalKeystore::load(home.db(), home.vault(), rng);
  if (loaded) return OpenedKeystore{std::move(*loaded), {}};
  if (loaded.error().code != identity::KeystoreErrc::kNoIdentity) return fail(loaded.error());
  auto account = identity::EthAccount::load_or_create(home.db(), home.vault(), rng);
  if (!account) return fail(account.error());
  auto made = identity::XmtpIdentity::create(*account, clock, rng);
  if (!made) return fail(made.error());
  auto backup = identity::seal_private_store(*made, *account, rng);
  if (!backup) return fail(backup.error());
  const auto envelope = identity::private_store_envelope(*backup, made->wallet(), clock);
  auto created = keystore::LocalKeystore::create(home.db(), home.vault(), std::move(*made), rng);
  if (!created) return fail(created.error());
  return OpenedKeystore{std::move(*created), {envelope}};
}

}  // namespace

Result<std::unique_ptr<XmtpNode>> XmtpNode::open(asio::io_context& io, Home& home, relay::ClientOptions relay_options,
                                                 Rng& rng, const Clock& clock, XmtpNodeCallbacks callbacks,
                                                 std::unique_ptr<identity::Keystore> elsewhere) {
  auto state = std::make_unique<State>(io, home, rng, clock, std::move(callbacks));
  auto outbox = relay::RelayOutbox::open(home.db());
  if (!outbox) return fail(outbox.error());
  state->outbox = std::make_unique<relay::RelayOutbox>(std::move(*outbox));
  auto store = messaging::MessageStore::open(home.db(), home.vault(), rng);
  if (!store) return fail(store.error());
  state->store = std::make_unique<messaging::MessageStore>(std::move(*store));
  OpenedKeystore keys;
  if (elsewhere) {
    state->keystore = std::move(elsewhere);
  } else {
    auto opened = open_keystore(home, rng, clock);
    if (!opened) return fail(context("messaging identity", opened.error()));
    keys = std::move(*opened);
    state->local = keys.keystore.get();
    state->keystore = std::move(keys.keystore);
  }
  state->messenger = std::make_unique<messaging::Messenger>(*state->keystore, *state->store, rng, clock);

  State* self = state.get();
  relay::RelayClient::Callbacks client_callbacks{
      .on_message =
          [self](const relay::RelayMessage& message) {
            return self->transport->handles(message.topic) ? self->transport->on_relay_message(message) : true;
          },
      .on_state = [self](relay::RelayClient::State s, const std::string& why) { self->on_state(s, why); },
      .on_published =
          [self](std::int64_t, const Result<void>& outcome) {
            if (!outcome && self->callbacks.on_publish_error) self->callbacks.on_publish_error(outcome.error());
            self->fire_waiters();
          },
  };
  state->client = std::make_unique<relay::RelayClient>(io, std::move(relay_options), home.client_key(), *state->outbox,
                                                       clock, rng, std::move(client_callbacks));
  state->transport = std::make_unique<XmtpTransport>(
      *state->client, *state->outbox, home.db(),
      XmtpTransport::Callbacks{
          .on_envelope = [self](const wx::Envelope& envelope) { return self->on_envelope(envelope); },
          .on_dropped =
              [self](const std::string& relay_topic, const Error& why) {
                self->report({messaging::Refusal{"relay topic " + relay_topic, why}});
              },
      });
  if (auto published = state->publish_identity_once(keys.to_publish); !published) return fail(published.error());
  return std::unique_ptr<XmtpNode>(new XmtpNode(std::move(state)));
}

XmtpNode::XmtpNode(std::unique_ptr<State> state) : state_(std::move(state)) {}
// The transport first: its queries in flight end without calling back into the client.
XmtpNode::~XmtpNode() { state_->transport.reset(); }

void XmtpNode::start() { state_->client->start(); }
void XmtpNode::stop() { state_->client->stop(); }

const std::string& XmtpNode::address() const noexcept { return state_->messenger->address(); }
identity::Keystore& XmtpNode::keystore() noexcept { return *state_->keystore; }
messaging::MessageStore& XmtpNode::messages() noexcept { return *state_->store; }

Result<std::vector<ConversationReference>> XmtpNode::conversations(const std::optional<crypto::EthAddress>& peer,
                                                                   Shown shown) {
  auto all = peer ? state_->messenger->conversations(peer->to_string()) : state_->messenger->conversations();
  if (!all || shown == Shown::kAll) return all;
  std::vector<ConversationReference> out;
  for (auto& conversation : *all) {
    auto shows = state_->shows(conversation);
    if (!shows) return fail(shows.error());
    if (*shows) out.push_back(std::move(conversation));
  }
  return out;
}

void XmtpNode::find_contact(const crypto::EthAddress& peer, Done<messaging::Contact> done) {
  State* self = state_.get();
  self->query_all(
      wx::contact_topic(peer), {}, [self, peer, done = std::move(done)](Result<std::vector<wx::Envelope>> envelopes) {
        // Offline, the bundle fetched last time will do: bundles change only when a peer makes a new
        // identity or pre-key, and an old bundle's invitation still reaches that peer's invite topic.
        auto cached = self->store->contact(peer.to_string());
        if (!envelopes) {
          if (cached && *cached) return done(messaging::Contact{peer.to_string(), std::move(**cached), 0});
          return done(fail(context("reading the contact of " + peer.to_string(), envelopes.error())));
        }
        auto contact = newest_contact(*envelopes, peer);
        if (!contact) {
          return done(fail(XmtpNodeErrc::kNoContact,
                           peer.to_string() + " has no XMTP identity on this relay: they must run keylink (or an XMTP "
                                              "app on this relay) once before they can be messaged"));
        }
        if (auto kept = self->store->put_contact(contact->address, contact->bundle, contact->published_ns); !kept) {
          return done(fail(kept.error()));
        }
        done(std::move(*contact));
      });
}

void XmtpNode::sync(const std::optional<crypto::EthAddress>& peer, Done<Received> done) {
  state_->sync(peer, std::move(done));
}

void XmtpNode::send(const crypto::EthAddress& peer, const wx::EncodedContent& content,
                    Done<messaging::Messenger::Sent> done) {
  State* self = state_.get();
  auto in_conversation = [self, content](const messaging::Contact* contact,
                                         const ConversationReference* known) -> Result<messaging::Messenger::Sent> {
    return self->in_transaction([&]() -> Result<messaging::Messenger::Sent> {
      ConversationReference conversation;
      if (known) {
        conversation = *known;
      } else {
        auto started = self->messenger->start(*contact);
        if (!started) return fail(started.error());
        if (auto queued = self->enqueue(started->envelopes); !queued) return fail(queued.error());
        conversation = std::move(started->conversation);
        if (self->watching) self->transport->subscribe(conversation.topic);
      }
      auto sent = self->messenger->send(conversation, content);
      if (!sent) return sent;
      if (auto queued = self->transport->enqueue(sent->envelope); !queued) return fail(queued.error());
      return sent;
    });
  };
  auto existing = self->messenger->conversations(peer.to_string());
  if (!existing) {
    asio::post(self->io, [done = std::move(done), error = existing.error()] { done(fail(error)); });
    return;
  }
  // The V2 conversation without an id is the one xmtp-js newConversation(peer) finds: the same topic
  // from both sides (deterministic invitations). V1 conversations are read, never written to.
  const auto plain = std::find_if(existing->begin(), existing->end(),
                                  [](const auto& c) { return c.conversation_id.empty() && wx::is_v2_topic(c.topic); });
  if (plain != existing->end()) {
    asio::post(self->io, [in_conversation, conversation = *plain, done = std::move(done)] {
      done(in_conversation(nullptr, &conversation));
    });
    return;
  }
  find_contact(peer, [in_conversation, done = std::move(done)](Result<messaging::Contact> contact) {
    if (!contact) return done(fail(contact.error()));
    done(in_conversation(&*contact, nullptr));
  });
}

void XmtpNode::watch(Shown shown) {
  state_->watching = true;
  state_->watch_shown = shown;
  state_->transport->subscribe(state_->messenger->invite_topic());
  state_->transport->subscribe(state_->messenger->intro_topic());
  auto conversations = state_->messenger->conversations();
  if (!conversations) return;
  for (const auto& conversation : *conversations) state_->transport->subscribe(conversation.topic);
}

Result<void> XmtpNode::set_consent(const crypto::EthAddress& peer, messaging::Consent consent) {
  auto identifier = state_->keystore->private_preferences_topic_identifier();
  if (!identifier) return fail(identifier.error());
  const wx::PrivatePreferencesAction action{
      consent == messaging::Consent::kDenied ? wx::PreferenceKind::kDenyAddress : wx::PreferenceKind::kAllowAddress,
      {peer.to_string()}};
  const Bytes plaintext = wx::encode(action);
  auto sealed = std::move(state_->keystore->self_encrypt({&plaintext, 1}).front());
  if (!sealed) return fail(sealed.error());
  const wx::Envelope envelope{wx::user_preferences_topic(*identifier), state_->now_ns(), std::move(*sealed)};
  return state_->in_transaction([&]() -> Result<void> {
    if (auto queued = state_->transport->enqueue(envelope); !queued) return fail(queued.error());
    return state_->store->set_consent(peer.to_string(), consent, envelope.timestamp_ns);
  });
}

Result<void> XmtpNode::publish_to(const std::string& topic, const std::vector<Bytes>& messages,
                                  const std::function<Result<void>()>& also) {
  return state_->in_transaction([&]() -> Result<void> {
    for (const auto& message : messages) {
      if (auto queued = state_->transport->enqueue({topic, state_->now_ns(), message}); !queued) {
        return fail(queued.error());
      }
    }
    return also ? also() : Result<void>();
  });
}

void XmtpNode::read_new(const std::string& topic, std::function<Result<void>(const wx::Envelope&)> on_message,
                        Done<void> done) {
  State* self = state_.get();
  State::Read read{topic, [self, topic, on_message = std::move(on_message)](const std::vector<wx::Envelope>& envelopes,
                                                                          std::int64_t read_to_ms) -> Result<Received> {
                     return self->in_transaction([&]() -> Result<Received> {
                       for (const auto& envelope : envelopes) {
                         if (auto handled = on_message(envelope); !handled) return fail(handled.error());
                       }
                       if (auto moved = self->advance_cursor(topic, read_to_ms); !moved) return fail(moved.error());
                       return Received{};
                     });
                   }};
  self->read_all({std::move(read)}, 0, std::make_shared<Received>(),
                 [done = std::move(done)](Result<Received> all) { done(all ? Result<void>() : fail(all.error())); });
}

keystore::LocalKeystore* XmtpNode::local_keystore() noexcept { return state_->local; }
asio::io_context& XmtpNode::io_context() noexcept { return state_->io; }

void XmtpNode::sync_consent(Done<void> done) {
  State* self = state_.get();
  auto identifier = self->keystore->private_preferences_topic_identifier();
  if (!identifier) {
    asio::post(self->io, [done = std::move(done), error = identifier.error()] { done(fail(error)); });
    return;
  }
  self->query_all(wx::user_preferences_topic(*identifier), {},
                  [self, done = std::move(done)](Result<std::vector<wx::Envelope>> envelopes) {
                    if (!envelopes) return done(fail(context("reading my consent records", envelopes.error())));
                    std::vector<Bytes> payloads;
                    for (const auto& envelope : *envelopes) payloads.push_back(envelope.message);
                    auto opened = self->keystore->self_decrypt(payloads);
                    done(self->in_transaction([&]() -> Result<void> {
                      for (std::size_t i = 0; i < opened.size(); ++i) {
                        auto action = opened[i] ? wx::decode_private_preferences_action(*opened[i])
                                                : Result<wx::PrivatePreferencesAction>(fail(opened[i].error()));
                        if (!action) {
                          self->report({messaging::Refusal{(*envelopes)[i].content_topic, action.error()}});
                          continue;
                        }
                        const bool allow = action->kind == wx::PreferenceKind::kAllowAddress;
                        if (!allow && action->kind != wx::PreferenceKind::kDenyAddress) continue;  // groups, inbox ids
                        for (const auto& entry : action->entries) {
                          auto address = crypto::EthAddress::parse(entry);
                          if (!address) continue;
                          auto stored = self->store->set_consent(
                              address->to_string(), allow ? messaging::Consent::kAllowed : messaging::Consent::kDenied,
                              (*envelopes)[i].timestamp_ns);
                          if (!stored) return stored;
                        }
                      }
                      return {};
                    }));
                  });
}

void XmtpNode::when_sent(std::function<void()> done) {
  state_->sent_waiters.push_back(std::move(done));
  state_->fire_waiters();
}

Result<void> XmtpNode::rotate_pre_key() {
  State* self = state_.get();
  const auto wallet = crypto::EthAddress::parse(self->keystore->account_address());
  KEYLINK_CHECK(wallet.has_value());
  KEYLINK_CHECK(self->local != nullptr);
  auto rotated = self->local->rotate_pre_key(
      self->clock, self->rng, [&](const wx::PublicKeyBundle& v1, const wx::SignedPublicKeyBundle& v2) -> Result<void> {
        const auto envelopes = identity::contact_envelopes(*wallet, v1, v2, self->clock);
        if (auto queued = self->enqueue(envelopes); !queued) return queued;
        return self->store->put_contact(self->keystore->account_address(), v2, envelopes.front().timestamp_ns);
      });
  if (!rotated) return fail(context("new pre-key", rotated.error()));
  self->client->flush_outbox();
  return {};
}

}  // namespace keylink::runtime
