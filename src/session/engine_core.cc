// The engine's plumbing: loading, sealing and publishing, routing what arrives, and expiry.
#include "engine_core.h"

#include <algorithm>

#include "keylink/wire/envelope.h"

namespace keylink::session::detail {
namespace {

struct MethodOpts {
  const char* method;
  PublishOpts request;
};
// ENGINE_RPC_OPTS / PAIRING_RPC_OPTS: the response tag is the request tag + 1, with the same ttl.
constexpr MethodOpts kOpts[] = {
    {"wc_sessionPropose", {1100, 300}},  {"wc_sessionSettle", {1102, 300}},  {"wc_sessionUpdate", {1104, 86400}},
    {"wc_sessionExtend", {1106, 86400}}, {"wc_sessionRequest", {1108, 900}}, {"wc_sessionEvent", {1110, 300}},
    {"wc_sessionDelete", {1112, 86400}}, {"wc_sessionPing", {1114, 86400}},  {"wc_pairingDelete", {1000, 86400}},
    {"wc_pairingPing", {1002, 30}},
};

// How long a seen id is remembered: longer than anything on the relay could be replayed from its mailbox.
constexpr std::int64_t kSeenMemory = 8 * 86400;

}  // namespace

PublishOpts request_opts(const std::string& method) {
  for (const auto& opts : kOpts) {
    if (method == opts.method) return opts.request;
  }
  return {0, 300};
}

PublishOpts response_opts(const std::string& method) {
  PublishOpts opts = request_opts(method);
  if (opts.tag != 0) ++opts.tag;
  return opts;
}

Result<void> EngineCore::load() {
  auto pairings = store_.pairings();
  if (!pairings) return fail(pairings.error());
  auto proposals = store_.proposals();
  if (!proposals) return fail(proposals.error());
  auto sessions = store_.sessions();
  if (!sessions) return fail(sessions.error());
  auto requests = store_.requests();
  if (!requests) return fail(requests.error());
  for (auto& pairing : *pairings) {
    actions_.push_back(Subscribe{pairing.topic});
    pairings_[pairing.topic] = std::move(pairing);
  }
  for (auto& proposal : *proposals) {
    if (!proposal.session_topic.empty()) actions_.push_back(Subscribe{proposal.session_topic});
    proposals_[proposal.id] = std::move(proposal);
  }
  for (auto& session : *sessions) {
    actions_.push_back(Subscribe{session.topic});
    sessions_[session.topic] = std::move(session);
  }
  for (auto& request : *requests) {
    last_id_ = std::max(last_id_, request.id);
    requests_[{request.topic, request.id}] = std::move(request);
  }
  for (const auto& [id, proposal] : proposals_) last_id_ = std::max(last_id_, id);
  return {};
}

// @walletconnect/jsonrpc-utils payloadId(): Date.now() * 1000 + a random number below 1000, but never
// below the last id + 1: two requests in one millisecond draw the same suffix one time in a thousand,
// and the peer would drop the second as a replay (measured: a stall within ~2,000 round trips).
std::int64_t EngineCore::next_id() {
  auto random = rng_.bytes<2>();
  const std::int64_t drawn = clock_.unix_millis() * 1000 + ((random[0] << 8) | random[1]) % 1000;
  last_id_ = std::max(drawn, last_id_ + 1);
  return last_id_;
}

Result<void> EngineCore::drop(const std::string& topic, std::string reason) {
  actions_.push_back(MessageDropped{topic, std::move(reason)});
  return {};
}

Result<Secret<32>> EngineCore::key_for(const std::string& name) {
  auto key = store_.get_key(name);
  if (!key) return fail(key.error());
  if (!*key) return fail(Errc::kNotFound, "no key for " + name + " in the keychain");
  return std::move(**key);
}

Result<void> EngineCore::publish(const std::string& topic, const std::string& text, PublishOpts opts) {
  auto key = key_for(topic);
  if (!key) return fail(key.error());
  actions_.push_back(Publish{topic, wire::seal_type0(*key, text, rng_), opts.ttl, opts.tag});
  return {};
}

Result<void> EngineCore::send_request(const std::string& topic, std::int64_t id, const std::string& method,
                                      Json params) {
  return publish(topic, wire::to_json_text(wire::RpcRequest{id, method, std::move(params)}), request_opts(method));
}

Result<void> EngineCore::send_tracked(const std::string& topic, std::int64_t id, const std::string& method, Json params,
                                      std::int64_t expiry) {
  if (auto sent = send_request(topic, id, method, params); !sent) return sent;
  return put_request(PendingRequest{id, topic, method, std::move(params), expiry, true});
}

Result<void> EngineCore::send_result(const std::string& topic, std::int64_t id, const std::string& method,
                                     Json result) {
  return publish(topic, wire::to_json_text(wire::RpcResponse{id, std::move(result)}), response_opts(method));
}

Result<void> EngineCore::send_error(const std::string& topic, std::int64_t id, const std::string& method,
                                    wire::RpcError error, std::optional<PublishOpts> opts) {
  return publish(topic, wire::to_json_text(wire::RpcResponse{id, std::move(error)}),
                 opts.value_or(response_opts(method)));
}

// Hostile input ends here as MessageDropped; only store failures come out as errors.
Result<void> EngineCore::on_message(const std::string& topic, std::string_view message) {
  const bool pending_session =
      std::any_of(proposals_.begin(), proposals_.end(), [&](const auto& p) { return p.second.session_topic == topic; });
  if (!pairings_.contains(topic) && !sessions_.contains(topic) && !pending_session) {
    return drop(topic, "unknown topic");
  }
  auto envelope = wire::Envelope::decode(message);
  if (!envelope) return drop(topic, "envelope: " + envelope.error().message);
  if (envelope->type != wire::EnvelopeType::kType0) {
    return drop(topic, "envelope of type " + std::to_string(static_cast<int>(envelope->type)) + " on a relay topic");
  }
  auto key = store_.get_key(topic);
  if (!key) return fail(key.error());
  if (!*key) return drop(topic, "no key for the topic");
  auto text = envelope->open(**key);
  if (!text) return drop(topic, "envelope does not open: " + text.error().message);
  auto rpc = wire::parse_rpc_message(*text);
  if (!rpc) return drop(topic, "not JSON-RPC: " + rpc.error().message);
  const bool is_request = std::holds_alternative<wire::RpcRequest>(*rpc);
  const auto& rpc_id = is_request ? std::get<wire::RpcRequest>(*rpc).id : std::get<wire::RpcResponse>(*rpc).id;
  if (!rpc_id || !rpc_id->is_number()) return drop(topic, "JSON-RPC id must be a number");
  const std::int64_t id = rpc_id->to_json().get<std::int64_t>();
  // Found by engine_adversarial_test: the seen table forgets an id after kSeenMemory, but an extended
  // session outlives that, so a message recorded earlier came back as new. Ids are payloadId()s (unix
  // ms * 1000 + 3 digits): one made before the memory starts is refused, as a replay could be.
  if (id / 1000 < (now() - kSeenMemory) * 1000) {
    return drop(topic, "message id " + std::to_string(id) + " is older than the replay memory");
  }
  auto seen = store_.seen(topic, id, !is_request);
  if (!seen) return fail(seen.error());
  if (*seen) return drop(topic, "replayed message id " + std::to_string(id));
  auto handled = is_request ? on_request(topic, id, std::get<wire::RpcRequest>(*rpc))
                            : on_response(topic, id, std::get<wire::RpcResponse>(*rpc));
  if (!handled) return handled;
  return store_.mark_seen(topic, id, !is_request, now() + kSeenMemory);
}

Result<void> EngineCore::on_request(const std::string& topic, std::int64_t id, const wire::RpcRequest& request) {
  if (pairings_.contains(topic)) {
    if (request.method == "wc_sessionPropose") return on_propose(topic, id, request.params);
    return on_pairing_method(topic, id, request);
  }
  if (sessions_.contains(topic)) {
    if (request.method == "wc_sessionRequest") return on_session_request(topic, id, request.params);
    return on_session_method(topic, id, request);
  }
  if (request.method == "wc_sessionSettle") return on_settle(topic, id, request.params);
  return drop(topic, request.method + " before the session was settled");
}

Result<void> EngineCore::on_response(const std::string& topic, std::int64_t id, const wire::RpcResponse& response) {
  if (auto proposal = proposals_.find(id); proposal != proposals_.end() && proposal->second.role == Role::kDapp &&
                                           proposal->second.pairing_topic == topic &&
                                           proposal->second.session_topic.empty()) {
    return on_propose_response(topic, proposal->second, response);
  }
  auto found = requests_.find({topic, id});
  if (found == requests_.end() || !found->second.outgoing) {
    return drop(topic, "response " + std::to_string(id) + " matches no request of ours");
  }
  PendingRequest request = found->second;
  if (auto erased = erase_request(topic, id); !erased) return erased;
  if (request.method == "wc_sessionSettle") return on_settle_response(request, response);
  return on_session_response(request, response);
}

Result<void> EngineCore::put_pairing(Pairing pairing) {
  if (auto put = store_.put_pairing(pairing); !put) return put;
  pairings_[pairing.topic] = std::move(pairing);
  return {};
}

Result<void> EngineCore::put_proposal(Proposal proposal) {
  if (auto put = store_.put_proposal(proposal); !put) return put;
  proposals_[proposal.id] = std::move(proposal);
  return {};
}

Result<void> EngineCore::put_session(Session session) {
  if (auto put = store_.put_session(session); !put) return put;
  sessions_[session.topic] = std::move(session);
  return {};
}

Result<void> EngineCore::put_request(PendingRequest request) {
  if (auto put = store_.put_request(request); !put) return put;
  requests_[{request.topic, request.id}] = std::move(request);
  return {};
}

Result<void> EngineCore::erase_request(const std::string& topic, std::int64_t id) {
  if (auto erased = store_.delete_request(topic, id); !erased) return erased;
  requests_.erase({topic, id});
  return {};
}

Result<void> EngineCore::erase_proposal(std::int64_t id) {
  if (auto erased = store_.delete_proposal(id); !erased) return erased;
  proposals_.erase(id);
  return {};
}

// A pairing goes with its key and the proposals made on it that no wallet answered.
Result<void> EngineCore::erase_pairing(const std::string& topic) {
  std::vector<std::int64_t> orphans;
  for (const auto& [id, proposal] : proposals_) {
    if (proposal.pairing_topic == topic && proposal.session_topic.empty()) orphans.push_back(id);
  }
  for (auto id : orphans) {
    if (proposals_[id].role == Role::kDapp) {
      if (auto erased = store_.delete_key(key_hex(proposals_[id].proposer_public_key)); !erased) return erased;
    }
    if (auto erased = erase_proposal(id); !erased) return erased;
  }
  if (auto erased = store_.delete_pairing(topic); !erased) return erased;
  if (auto erased = store_.delete_key(topic); !erased) return erased;
  pairings_.erase(topic);
  actions_.push_back(Unsubscribe{topic});
  return {};
}

Result<void> EngineCore::erase_session(const std::string& topic, std::optional<wire::RpcError> reason) {
  auto found = sessions_.find(topic);
  if (found == sessions_.end()) return {};
  const std::string self_key = key_hex(found->second.self_public_key);
  std::vector<std::int64_t> requests;
  for (const auto& [key, request] : requests_) {
    if (request.topic == topic) requests.push_back(request.id);
  }
  for (auto id : requests) {
    if (auto erased = erase_request(topic, id); !erased) return erased;
  }
  if (auto erased = store_.delete_session(topic); !erased) return erased;
  if (auto erased = store_.delete_key(topic); !erased) return erased;
  if (auto erased = store_.delete_key(self_key); !erased) return erased;
  sessions_.erase(topic);
  std::erase_if(last_applied_, [&](const auto& entry) { return entry.first.starts_with(topic + "_"); });
  actions_.push_back(Unsubscribe{topic});
  if (reason) actions_.push_back(SessionDeleted{topic, std::move(*reason)});
  return {};
}

// core pairing.activate() in 2.25.0: active, and kept for another pairing lifetime.
Result<void> EngineCore::activate_pairing(const std::string& topic, const Metadata* peer) {
  auto found = pairings_.find(topic);
  if (found == pairings_.end()) return {};
  Pairing pairing = found->second;
  pairing.active = true;
  pairing.expiry = now() + options_.pairing_lifetime;
  if (peer) pairing.peer = *peer;
  return put_pairing(std::move(pairing));
}

std::vector<Session> EngineCore::sessions() const {
  std::vector<Session> out;
  for (const auto& [topic, session] : sessions_) out.push_back(session);
  return out;
}

std::vector<Pairing> EngineCore::pairings() const {
  std::vector<Pairing> out;
  for (const auto& [topic, pairing] : pairings_) out.push_back(pairing);
  return out;
}

std::vector<Proposal> EngineCore::proposals() const {
  std::vector<Proposal> out;
  for (const auto& [id, proposal] : proposals_) out.push_back(proposal);
  return out;
}

std::vector<PendingRequest> EngineCore::pending_requests() const {
  std::vector<PendingRequest> out;
  for (const auto& [key, request] : requests_) out.push_back(request);
  return out;
}

}  // namespace keylink::session::detail
