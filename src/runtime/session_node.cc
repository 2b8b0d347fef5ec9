#include "keylink/runtime/session_node.h"

#include <boost/asio/post.hpp>

namespace keylink::runtime {

namespace asio = boost::asio;

SessionNode::SessionNode(asio::io_context& io, Home& home, Rng& rng, const Clock& clock, SessionNodeCallbacks callbacks)
    : io_(io), home_(home), rng_(rng), clock_(clock), callbacks_(std::move(callbacks)), timer_(io) {}

// Quietly: the client's destructor stops it without calling back, so no callback reaches an app that
// is tearing down around the node.
SessionNode::~SessionNode() { timer_.cancel(); }

Result<std::unique_ptr<SessionNode>> SessionNode::open(asio::io_context& io, Home& home,
                                                       relay::ClientOptions relay_options,
                                                       session::EngineOptions engine_options, Rng& rng,
                                                       const Clock& clock, SessionNodeCallbacks callbacks) {
  std::unique_ptr<SessionNode> node(new SessionNode(io, home, rng, clock, std::move(callbacks)));
  node->engine_options_ = std::move(engine_options);
  auto store = session::open_sqlite_session_store(home.db(), home.vault(), rng);
  if (!store) return tl::unexpected(store.error());
  node->store_ = std::move(*store);
  auto outbox = relay::RelayOutbox::open(home.db());
  if (!outbox) return tl::unexpected(outbox.error());
  node->outbox_ = std::make_unique<relay::RelayOutbox>(std::move(*outbox));

  SessionNode* self = node.get();
  relay::RelayClient::Callbacks client_callbacks{
      .on_message = [self](const relay::RelayMessage& message) { return self->on_relay_message(message); },
      .on_state =
          [self](relay::RelayClient::State state, const std::string& why) {
            if (self->callbacks_.on_relay_state) self->callbacks_.on_relay_state(state, why);
          },
      .on_published = [self](std::int64_t id, const Result<void>& outcome) { self->on_published(id, outcome); },
  };
  node->client_ = std::make_unique<relay::RelayClient>(io, std::move(relay_options), home.client_key(), *node->outbox_,
                                                       clock, rng, std::move(client_callbacks));
  // The engine's Subscribe actions for the topics it reloads reach the client here, before it connects.
  if (auto loaded = node->reload(); !loaded) return tl::unexpected(loaded.error());
  return node;
}

void SessionNode::start() {
  client_->start();
  arm_timer();
}

void SessionNode::stop() {
  timer_.cancel();
  if (client_) client_->stop();
}

Result<void> SessionNode::reload() {
  // On failure the old engine stays: ahead of the database, but usable until the storage recovers.
  auto engine = session::Engine::open(*store_, engine_options_, rng_, clock_);
  if (!engine) return tl::unexpected(engine.error());
  engine_ = std::make_unique<session::Engine>(std::move(*engine));
  for (auto& action : engine_->take_actions()) {
    if (auto* subscribe = std::get_if<session::Subscribe>(&action)) client_->subscribe(subscribe->topic);
  }
  return {};
}

Result<store::Transaction> SessionNode::begin() { return store::Transaction::begin(home_.db()); }

Result<void> SessionNode::commit(store::Transaction tx, const std::vector<session::Action>& actions) {
  for (const auto& action : actions) {
    const auto* publish = std::get_if<session::Publish>(&action);
    if (!publish) continue;
    auto added =
        outbox_->add({.topic = publish->topic, .message = publish->message, .ttl = publish->ttl, .tag = publish->tag});
    if (!added) return tl::unexpected(added.error());  // tx rolls back as it goes out of scope
  }
  return tx.commit();
}

Result<void> SessionNode::finish(store::Transaction tx) {
  auto actions = engine_->take_actions();
  if (auto committed = commit(std::move(tx), actions); !committed) {
    // Rolled back: the engine's memory is ahead of the database, so it starts again from the last commit.
    if (callbacks_.on_store_error) callbacks_.on_store_error(committed.error());
    if (auto reloaded = reload(); !reloaded) return reloaded;
    return committed;
  }
  // Subscriptions go before the publishes, on the same socket: an answer to what we publish finds us
  // subscribed to its topic.
  for (const auto& action : actions) {
    if (const auto* subscribe = std::get_if<session::Subscribe>(&action)) {
      client_->subscribe(subscribe->topic);
    } else if (const auto* unsubscribe = std::get_if<session::Unsubscribe>(&action)) {
      client_->unsubscribe(unsubscribe->topic);
    }
  }
  client_->flush_outbox();
  arm_timer();
  for (const auto& action : actions) {
    if (std::holds_alternative<session::Publish>(action) || std::holds_alternative<session::Subscribe>(action) ||
        std::holds_alternative<session::Unsubscribe>(action) || !callbacks_.on_event) {
      continue;
    }
    callbacks_.on_event(action);
  }
  return {};
}

bool SessionNode::on_relay_message(const relay::RelayMessage& message) {
  // Fails only on storage: the message goes unacked, and comes again.
  return step([&](session::Engine& engine) { return engine.on_message(message.topic, message.message); }).has_value();
}

void SessionNode::on_published(std::int64_t, const Result<void>& outcome) {
  if (!outcome && callbacks_.on_publish_error) callbacks_.on_publish_error(outcome.error());
  fire_waiters();
}

void SessionNode::when_sent(std::function<void()> done) {
  sent_waiters_.push_back(std::move(done));
  fire_waiters();
}

void SessionNode::fire_waiters() {
  if (sent_waiters_.empty()) return;
  auto queued = outbox_->count();
  if (queued && *queued > 0) return;
  for (auto& waiter : std::exchange(sent_waiters_, {})) asio::post(io_, std::move(waiter));
}

void SessionNode::arm_timer() {
  const auto deadline = engine_->next_deadline();
  if (!deadline) {
    timer_.cancel();
    return;
  }
  const auto delay =
      std::max(std::chrono::steady_clock::duration::zero(),
               std::chrono::duration_cast<std::chrono::steady_clock::duration>(*deadline - clock_.now()));
  timer_.expires_after(delay);
  timer_.async_wait([this](boost::system::error_code error) {
    if (error) return;
    (void)step([](session::Engine& engine) { return engine.on_timer(); });
  });
}

}  // namespace keylink::runtime
