// Engine is a thin handle over detail::EngineCore, which the role files implement.
#include "keylink/session/engine.h"

#include "engine_core.h"

namespace keylink::session {

struct Engine::State {
  detail::EngineCore core;
};

Engine::Engine(std::unique_ptr<State> state) : state_(std::move(state)) {}
Engine::Engine(Engine&&) noexcept = default;
Engine& Engine::operator=(Engine&&) noexcept = default;
Engine::~Engine() = default;

Result<Engine> Engine::open(SessionStore& store, EngineOptions options, Rng& rng, const Clock& clock) {
  auto state = std::make_unique<State>(State{detail::EngineCore(store, std::move(options), rng, clock)});
  if (auto loaded = state->core.load(); !loaded) return fail(loaded.error());
  return Engine(std::move(state));
}

Result<Engine::Connection> Engine::connect(ProposalNamespaces required, ProposalNamespaces optional,
                                           std::map<std::string, std::string> session_properties) {
  return state_->core.connect(std::move(required), std::move(optional), std::move(session_properties));
}

Result<std::int64_t> Engine::request(const std::string& topic, const std::string& chain_id, const std::string& method,
                                     Json params, std::optional<std::int64_t> expiry_seconds) {
  return state_->core.request(topic, chain_id, method, std::move(params), expiry_seconds);
}

Result<std::string> Engine::pair(std::string_view uri) { return state_->core.pair(uri); }

Result<std::string> Engine::approve(std::int64_t proposal_id, SessionNamespaces namespaces) {
  return state_->core.approve(proposal_id, std::move(namespaces));
}

Result<void> Engine::reject(std::int64_t proposal_id, wire::RpcError reason) {
  return state_->core.reject(proposal_id, std::move(reason));
}

Result<void> Engine::respond(const std::string& topic, std::int64_t id, Json result) {
  return state_->core.respond(topic, id, std::move(result));
}

Result<void> Engine::respond_error(const std::string& topic, std::int64_t id, wire::RpcError error) {
  return state_->core.respond(topic, id, std::move(error));
}

Result<void> Engine::emit(const std::string& topic, const std::string& chain_id, const std::string& name, Json data) {
  return state_->core.emit(topic, chain_id, name, std::move(data));
}

Result<void> Engine::update(const std::string& topic, SessionNamespaces namespaces) {
  return state_->core.update(topic, std::move(namespaces));
}

Result<void> Engine::extend(const std::string& topic) { return state_->core.extend(topic); }
Result<std::int64_t> Engine::ping(const std::string& topic) { return state_->core.ping(topic); }
Result<void> Engine::disconnect(const std::string& topic) { return state_->core.disconnect(topic); }

// The boundary for hostile input: nothing a peer sends may escape as an exception.
Result<void> Engine::on_message(const std::string& topic, std::string_view message) {
  try {
    return state_->core.on_message(topic, message);
  } catch (const std::exception& e) {
    // A bug of ours, not the peer's: report it like a store failure, so the caller reloads the engine.
    return fail(Errc::kInvalid, std::string("message handling failed: ") + e.what());
  }
}

Result<void> Engine::on_timer() { return state_->core.on_timer(); }
std::optional<TimePoint> Engine::next_deadline() const { return state_->core.next_deadline(); }
std::vector<Action> Engine::take_actions() { return state_->core.take_actions(); }
std::vector<Session> Engine::sessions() const { return state_->core.sessions(); }
std::vector<Pairing> Engine::pairings() const { return state_->core.pairings(); }
std::vector<Proposal> Engine::proposals() const { return state_->core.proposals(); }
std::vector<PendingRequest> Engine::pending_requests() const { return state_->core.pending_requests(); }

}  // namespace keylink::session
