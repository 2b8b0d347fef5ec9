// Drives the session engine over the relay: the one place where the Sign protocol meets sockets,
// storage and timers.
//
// Each step of the engine (a call, a relay message, a timer) runs in one transaction of the home's
// database together with the messages it sends (the relay outbox): state and messages commit together
// or not at all, and a relay message is acked only after its step committed. After the commit the node
// sends the messages, (un)subscribes, and hands the app its events.
//
// Not thread-safe: everything runs on the io_context's thread.
#pragma once

#include <utility>  // before Boost.Asio (Boost 1.74, g++ 12, C++20)

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "keylink/base/clock.h"
#include "keylink/base/result.h"
#include "keylink/base/rng.h"
#include "keylink/relay/client.h"
#include "keylink/relay/outbox.h"
#include "keylink/runtime/home.h"
#include "keylink/session/engine.h"
#include "keylink/store/transaction.h"

namespace keylink::runtime {

struct SessionNodeCallbacks {
  // An app event of the engine (ProposalReceived, SessionSettled, RequestReceived, …), after its commit.
  // The callback may call step() again.
  std::function<void(const session::Action&)> on_event;
  std::function<void(relay::RelayClient::State, const std::string& why)> on_relay_state;
  // A message of ours that the relay refused or never acknowledged.
  std::function<void(const Error&)> on_publish_error;
  // A step that failed on storage; the engine was reloaded from the last commit.
  std::function<void(const Error&)> on_store_error;
};

class SessionNode {
 public:
  // io, home, rng and clock must outlive the node. The engine's state and the relay outbox are loaded
  // from the home: what an earlier node committed goes on (proposals to answer, messages to send).
  static Result<std::unique_ptr<SessionNode>> open(boost::asio::io_context& io, Home& home,
                                                   relay::ClientOptions relay_options,
                                                   session::EngineOptions engine_options, Rng& rng, const Clock& clock,
                                                   SessionNodeCallbacks callbacks);
  // Stops without calling back. REQUIRES: not called from one of the node's callbacks.
  ~SessionNode();

  // Connects to the relay (and keeps reconnecting) and starts the engine's timers.
  void start();
  // Disconnects (on_relay_state reports kStopped); queued messages stay in the outbox for the next start.
  void stop();

  // Runs one engine call in a transaction and sends what it produced. `call` returns a Result.
  template <class Call>
  auto step(Call&& call) -> decltype(call(std::declval<session::Engine&>())) {
    auto tx = begin();
    if (!tx) return tl::unexpected(tx.error());
    auto result = call(*engine_);
    if (auto done = finish(std::move(*tx)); !done) return tl::unexpected(done.error());
    return result;
  }

  // Read access for listings; never change the engine through it (use step()).
  const session::Engine& engine() const noexcept { return *engine_; }
  // Runs `done` on the io_context once every queued message has been acknowledged (or refused) by the
  // relay: at the next turn of the loop when none is queued.
  void when_sent(std::function<void()> done);

 private:
  SessionNode(boost::asio::io_context& io, Home& home, Rng& rng, const Clock& clock, SessionNodeCallbacks callbacks);
  Result<store::Transaction> begin();
  // Commits the step with the messages it sends (or rolls back and reloads the engine), then sends
  // them, (un)subscribes and hands the app its events. A call that failed changed nothing, so its
  // step commits too.
  Result<void> finish(store::Transaction tx);
  Result<void> commit(store::Transaction tx, const std::vector<session::Action>& actions);
  Result<void> reload();
  bool on_relay_message(const relay::RelayMessage& message);
  void on_published(std::int64_t id, const Result<void>& outcome);
  void arm_timer();
  void fire_waiters();

  boost::asio::io_context& io_;
  Home& home_;
  Rng& rng_;
  const Clock& clock_;
  SessionNodeCallbacks callbacks_;
  session::EngineOptions engine_options_;
  std::unique_ptr<session::SessionStore> store_;
  std::unique_ptr<relay::RelayOutbox> outbox_;
  std::unique_ptr<session::Engine> engine_;
  std::unique_ptr<relay::RelayClient> client_;
  boost::asio::steady_timer timer_;
  std::vector<std::function<void()>> sent_waiters_;
};

}  // namespace keylink::runtime
