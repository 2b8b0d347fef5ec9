// The WalletConnect v2 Sign protocol engine, dApp and wallet roles: pairing, propose, approve/reject,
// settle, requests and responses, events, update, extend, ping, delete, and expiry of all that expires.
//
// Sans-IO: calls and incoming relay messages go in; actions come out of take_actions() (messages to
// publish, topics to (un)subscribe, and events for the app). The engine never touches a socket or the
// clock on its own: the caller passes relay messages to on_message() and calls on_timer() at
// next_deadline(). State lives in the SessionStore, written on every change.
//
// Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "keylink/base/clock.h"
#include "keylink/base/result.h"
#include "keylink/base/rng.h"
#include "keylink/session/session_store.h"
#include "keylink/session/types.h"

namespace keylink::session {

// Actions for the transport.
struct Publish {
  std::string topic;
  std::string message;  // envelope text
  std::int64_t ttl = 0;
  std::int64_t tag = 0;
};
struct Subscribe {
  std::string topic;
};
struct Unsubscribe {
  std::string topic;
};

// Events for the app.
struct ProposalReceived {  // wallet: ask the user, then approve() or reject()
  Proposal proposal;
};
struct ProposalRejected {  // dApp: the wallet said no (or the proposal expired: code kSessionRequestExpired… see
                           // message)
  std::int64_t proposal_id = 0;
  wire::RpcError error;
};
struct SessionSettled {  // both: the session is usable
  Session session;
};
struct RequestReceived {  // wallet: answer with respond()
  std::string topic;
  std::int64_t id = 0;
  std::string chain_id;
  std::string method;
  Json params;
  std::int64_t expiry = 0;
};
struct ResponseReceived {  // dApp: the answer to request()
  std::string topic;
  std::int64_t id = 0;
  std::variant<Json, wire::RpcError> outcome;
};
struct EventReceived {
  std::string topic;
  std::string chain_id;
  std::string name;
  Json data;
};
struct SessionUpdated {
  std::string topic;
  SessionNamespaces namespaces;
};
struct SessionExtended {
  std::string topic;
  std::int64_t expiry = 0;
};
struct PingAnswered {
  std::string topic;
  std::int64_t id = 0;
};
struct SessionDeleted {  // by the peer, by us, or by expiry
  std::string topic;
  wire::RpcError reason;
};
struct PairingDeleted {
  std::string topic;
};
struct RequestExpired {  // either side: a request nobody answered in time
  std::string topic;
  std::int64_t id = 0;
};
struct MessageDropped {  // for the log: what was dropped and why (tampered, unknown topic, replayed, …)
  std::string topic;
  std::string reason;
};

using Action = std::variant<Publish, Subscribe, Unsubscribe, ProposalReceived, ProposalRejected, SessionSettled,
                            RequestReceived, ResponseReceived, EventReceived, SessionUpdated, SessionExtended,
                            PingAnswered, SessionDeleted, PairingDeleted, RequestExpired, MessageDropped>;

struct EngineOptions {
  Metadata self;
  std::int64_t pairing_lifetime = 300;  // seconds: URI and proposal
  std::int64_t session_lifetime = 7 * 86400;
  std::int64_t request_lifetime = 300;  // default expiry of a wc_sessionRequest
};

class Engine {
 public:
  // Loads the state from `store`; the topics to subscribe to come out as Subscribe actions.
  // store, rng and clock must outlive the engine.
  static Result<Engine> open(SessionStore& store, EngineOptions options, Rng& rng, const Clock& clock);

  // dApp: a new pairing (its URI, methods listed when given) and a proposal on it. Returns the URI text;
  // SessionSettled or ProposalRejected follows.
  struct Connection {
    std::string uri;
    std::string pairing_topic;
    std::int64_t proposal_id = 0;
  };
  // `session_properties` go out as the proposal's sessionProperties (the app key of docs/keystore.md).
  Result<Connection> connect(ProposalNamespaces required, ProposalNamespaces optional = {},
                             std::map<std::string, std::string> session_properties = {});
  // dApp: a wc_sessionRequest; returns its id. ResponseReceived or RequestExpired follows.
  Result<std::int64_t> request(const std::string& topic, const std::string& chain_id, const std::string& method,
                               Json params, std::optional<std::int64_t> expiry_seconds = std::nullopt);

  // Wallet: pairs with a URI (a used or expired one is an error); ProposalReceived follows.
  Result<std::string> pair(std::string_view uri);
  // Wallet: approves with namespaces that must satisfy the required ones; returns the session topic.
  Result<std::string> approve(std::int64_t proposal_id, SessionNamespaces namespaces);
  Result<void> reject(std::int64_t proposal_id, wire::RpcError reason);
  Result<void> respond(const std::string& topic, std::int64_t id, Json result);
  Result<void> respond_error(const std::string& topic, std::int64_t id, wire::RpcError error);
  Result<void> emit(const std::string& topic, const std::string& chain_id, const std::string& name, Json data);
  Result<void> update(const std::string& topic, SessionNamespaces namespaces);
  Result<void> extend(const std::string& topic);

  // Both roles.
  Result<std::int64_t> ping(const std::string& topic);
  // A session topic sends wc_sessionDelete (6000, "User disconnected."); a pairing topic wc_pairingDelete.
  Result<void> disconnect(const std::string& topic);

  // A relay message on a subscribed topic. Never fails on hostile input: what cannot be used is dropped
  // (MessageDropped); errors are store failures only.
  Result<void> on_message(const std::string& topic, std::string_view message);
  // Expires what is due at clock.now(). Call at next_deadline().
  Result<void> on_timer();
  std::optional<TimePoint> next_deadline() const;

  std::vector<Action> take_actions();

  std::vector<Session> sessions() const;
  std::vector<Pairing> pairings() const;
  std::vector<Proposal> proposals() const;
  std::vector<PendingRequest> pending_requests() const;

  Engine(Engine&&) noexcept;
  Engine& operator=(Engine&&) noexcept;
  ~Engine();

 private:
  struct State;
  explicit Engine(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace keylink::session
