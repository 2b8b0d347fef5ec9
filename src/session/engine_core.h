// The session engine's state and steps, shared by the files that implement the roles:
// engine_core.cc (loading, sending, routing, expiry), engine_dapp.cc, engine_wallet.cc and
// engine_session.cc (what both roles do on a settled session).
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "keylink/session/engine.h"
#include "messages.h"

namespace keylink::session::detail {

// Publish options of @walletconnect/sign-client ENGINE_RPC_OPTS and core PAIRING_RPC_OPTS.
struct PublishOpts {
  std::int64_t tag = 0;
  std::int64_t ttl = 0;
};
PublishOpts request_opts(const std::string& method);
PublishOpts response_opts(const std::string& method);
inline constexpr PublishOpts kProposeReject{1120, 300};
inline constexpr PublishOpts kProposeAutoReject{1121, 300};
// sign-client's longest request expiry (isValidRequestExpiry).
inline constexpr std::int64_t kMaxRequestExpiry = 7 * 86400;

class EngineCore {
 public:
  EngineCore(SessionStore& store, EngineOptions options, Rng& rng, const Clock& clock)
      : store_(store), options_(std::move(options)), rng_(rng), clock_(clock) {}

  Result<void> load();

  // dApp (engine_dapp.cc).
  Result<Engine::Connection> connect(ProposalNamespaces required, ProposalNamespaces optional,
                                     std::map<std::string, std::string> session_properties);
  Result<std::int64_t> request(const std::string& topic, const std::string& chain_id, const std::string& method,
                               Json params, std::optional<std::int64_t> expiry_seconds);
  // Wallet (engine_wallet.cc).
  Result<std::string> pair(std::string_view uri);
  Result<std::string> approve(std::int64_t proposal_id, SessionNamespaces namespaces);
  Result<void> reject(std::int64_t proposal_id, wire::RpcError reason);
  Result<void> respond(const std::string& topic, std::int64_t id, std::variant<Json, wire::RpcError> outcome);
  // Settled sessions (engine_session.cc).
  Result<void> emit(const std::string& topic, const std::string& chain_id, const std::string& name, Json data);
  Result<void> update(const std::string& topic, SessionNamespaces namespaces);
  Result<void> extend(const std::string& topic);
  Result<std::int64_t> ping(const std::string& topic);
  Result<void> disconnect(const std::string& topic);

  Result<void> on_message(const std::string& topic, std::string_view message);
  Result<void> on_timer();
  std::optional<TimePoint> next_deadline() const;

  std::vector<Action> take_actions() { return std::exchange(actions_, {}); }
  std::vector<Session> sessions() const;
  std::vector<Pairing> pairings() const;
  std::vector<Proposal> proposals() const;
  std::vector<PendingRequest> pending_requests() const;

 private:
  // ---- engine_core.cc
  std::int64_t now() const { return clock_.unix_seconds(); }
  // An expiry a peer chose, cut to `lifetime` seconds from now: a date past 2262 would overflow a
  // TimePoint, and one years ahead would keep a request or pairing waiting for good.
  std::int64_t capped(std::int64_t expiry, std::int64_t lifetime) const { return std::min(expiry, now() + lifetime); }
  std::int64_t next_id();  // payloadId(): milliseconds * 1000 + 3 random digits, increasing
  Result<void> drop(const std::string& topic, std::string reason);  // MessageDropped; always succeeds
  Result<Secret<32>> key_for(const std::string& name);
  // Seals a message with the topic's symKey and queues it for the relay.
  Result<void> publish(const std::string& topic, const std::string& text, PublishOpts opts);
  Result<void> send_request(const std::string& topic, std::int64_t id, const std::string& method, Json params);
  // Also records an outgoing PendingRequest awaiting its answer until `expiry`.
  Result<void> send_tracked(const std::string& topic, std::int64_t id, const std::string& method, Json params,
                            std::int64_t expiry);
  Result<void> send_result(const std::string& topic, std::int64_t id, const std::string& method, Json result);
  Result<void> send_error(const std::string& topic, std::int64_t id, const std::string& method, wire::RpcError error,
                          std::optional<PublishOpts> opts = std::nullopt);
  Result<void> on_request(const std::string& topic, std::int64_t id, const wire::RpcRequest& request);
  Result<void> on_response(const std::string& topic, std::int64_t id, const wire::RpcResponse& response);
  Result<void> put_pairing(Pairing pairing);
  Result<void> put_proposal(Proposal proposal);
  Result<void> put_session(Session session);
  Result<void> put_request(PendingRequest request);
  Result<void> erase_request(const std::string& topic, std::int64_t id);
  Result<void> erase_proposal(std::int64_t id);
  Result<void> erase_pairing(const std::string& topic);
  // Removes the session, its keys and requests, and unsubscribes; emits SessionDeleted when asked.
  Result<void> erase_session(const std::string& topic, std::optional<wire::RpcError> reason);
  Result<void> activate_pairing(const std::string& topic, const Metadata* peer);
  Result<void> expire_due();

  // ---- engine_dapp.cc
  Result<void> on_propose_response(const std::string& topic, Proposal proposal, const wire::RpcResponse& response);
  Result<void> on_settle(const std::string& topic, std::int64_t id, const Json& params);
  Result<void> settle_failed(Proposal proposal, std::int64_t id, wire::RpcError error);
  // ---- engine_wallet.cc
  Result<void> on_propose(const std::string& topic, std::int64_t id, const Json& params);
  Result<void> on_session_request(const std::string& topic, std::int64_t id, const Json& params);
  Result<void> on_settle_response(const PendingRequest& request, const wire::RpcResponse& response);
  // ---- engine_session.cc
  Result<void> on_session_method(const std::string& topic, std::int64_t id, const wire::RpcRequest& request);
  Result<void> on_pairing_method(const std::string& topic, std::int64_t id, const wire::RpcRequest& request);
  Result<void> on_session_response(const PendingRequest& request, const wire::RpcResponse& response);
  Result<Session*> settled_session(const std::string& topic);
  // An update or event older, to the millisecond of its id, than the last one applied under `key`.
  bool out_of_sync(const std::string& key, std::int64_t id) const;

  SessionStore& store_;
  EngineOptions options_;
  Rng& rng_;
  const Clock& clock_;
  std::int64_t last_id_ = 0;  // the greatest id sent or stored: ids only grow, across restarts too
  std::map<std::string, Pairing> pairings_;
  std::map<std::int64_t, Proposal> proposals_;
  std::map<std::string, Session> sessions_;
  // By (topic, id): ids are the peers' choice, so a peer on one session can repeat an id of another.
  std::map<std::pair<std::string, std::int64_t>, PendingRequest> requests_;
  // sign-client's MemoryStore for isRequestOutOfSync: the id of the last update, and of the last event of
  // each name, applied per session ("<topic>_session_update", "<topic>_session_event_<name>"). In memory
  // only, as there: after a restart the first one of each applies.
  std::map<std::string, std::int64_t> last_applied_;
  std::vector<Action> actions_;
};

}  // namespace keylink::session::detail
