// The dApp's side of the handshake: the pairing URI and proposal, the wallet's answer and settlement,
// and wc_sessionRequest.
#include <algorithm>

#include "engine_core.h"
#include "keylink/wire/keys.h"
#include "keylink/wire/pairing_uri.h"
#include "namespaces.h"

namespace keylink::session::detail {
namespace {

constexpr std::int64_t kMinRequestExpiry = 300;  // SESSION_REQUEST_EXPIRY_BOUNDARIES

Result<void> check_required(const ProposalNamespaces& required) {
  for (const auto& [key, ns] : required) {
    if (key.empty()) return fail(Errc::kInvalid, "a namespace key is empty");
    if (key.find(':') == std::string::npos && ns.chains.empty()) {
      return fail(Errc::kInvalid, "namespace " + key + " lists no chains");
    }
  }
  return {};
}

wire::RpcError settle_error(const std::string& detail) {
  return {codes::kInvalidSessionSettleRequest, "Invalid session settle request. " + detail, Json()};
}

}  // namespace

Result<Engine::Connection> EngineCore::connect(ProposalNamespaces required, ProposalNamespaces optional,
                                               std::map<std::string, std::string> session_properties) {
  if (auto valid = check_required(required); !valid) return fail(valid.error());
  auto uri = wire::PairingUri::create(rng_, clock_);
  uri.expiry = now() + options_.pairing_lifetime;
  if (auto put = store_.put_key(uri.topic, uri.sym_key); !put) return fail(put.error());
  if (auto put = put_pairing(Pairing{uri.topic, uri.expiry, false, {}, Role::kDapp}); !put) return fail(put.error());
  actions_.push_back(Subscribe{uri.topic});

  auto keys = crypto::X25519KeyPair::generate(rng_);
  if (auto put = store_.put_key(key_hex(keys.public_key), keys.private_key); !put) return fail(put.error());
  Proposal proposal;
  proposal.id = next_id();
  proposal.pairing_topic = uri.topic;
  proposal.proposer_public_key = keys.public_key;
  proposal.proposer = options_.self;
  proposal.required = std::move(required);
  proposal.optional = std::move(optional);
  proposal.session_properties = std::move(session_properties);
  proposal.expiry = now() + options_.pairing_lifetime;
  proposal.role = Role::kDapp;
  if (auto put = put_proposal(proposal); !put) return fail(put.error());
  if (auto sent = send_request(uri.topic, proposal.id, "wc_sessionPropose", proposal_params(proposal)); !sent) {
    return fail(sent.error());
  }
  return Engine::Connection{uri.to_string(), uri.topic, proposal.id};
}

Result<void> EngineCore::on_propose_response(const std::string& topic, Proposal proposal,
                                             const wire::RpcResponse& response) {
  if (!response.ok()) {
    if (auto erased = erase_proposal(proposal.id); !erased) return erased;
    if (auto erased = store_.delete_key(key_hex(proposal.proposer_public_key)); !erased) return erased;
    actions_.push_back(ProposalRejected{proposal.id, response.error()});
    return {};
  }
  auto responder = parse_proposal_response(response.result());
  if (!responder) return drop(topic, "wc_sessionPropose response: " + responder.error().message);
  auto self_key = key_for(key_hex(proposal.proposer_public_key));
  if (!self_key) return fail(self_key.error());
  auto session_key = wire::derive_sym_key(*self_key, *responder);
  if (!session_key) return drop(topic, "wc_sessionPropose response: " + session_key.error().message);
  proposal.session_topic = wire::topic_of(session_key->expose());
  if (auto put = store_.put_key(proposal.session_topic, *session_key); !put) return put;
  actions_.push_back(Subscribe{proposal.session_topic});
  if (auto put = put_proposal(proposal); !put) return put;
  return activate_pairing(topic, nullptr);
}

Result<void> EngineCore::on_settle(const std::string& topic, std::int64_t id, const Json& params) {
  auto found = std::find_if(proposals_.begin(), proposals_.end(),
                            [&](const auto& p) { return p.second.session_topic == topic; });
  if (found == proposals_.end()) return drop(topic, "wc_sessionSettle for no proposal");
  Proposal proposal = found->second;
  auto settlement = parse_settle(params);
  if (!settlement) return settle_failed(std::move(proposal), id, settle_error(settlement.error().message));
  // Only the holder of the responder's private key can settle: its key must give this session topic.
  auto self_key = key_for(key_hex(proposal.proposer_public_key));
  if (!self_key) return fail(self_key.error());
  auto check_key = wire::derive_sym_key(*self_key, settlement->controller);
  if (!check_key || wire::topic_of(check_key->expose()) != topic) {
    return settle_failed(std::move(proposal), id, settle_error("controller key does not match the session"));
  }
  if (auto bad = check_conforming(proposal.required, settlement->namespaces)) {
    return settle_failed(std::move(proposal), id, *bad);
  }
  if (settlement->expiry <= now()) return settle_failed(std::move(proposal), id, settle_error("expired"));

  Session session;
  session.topic = topic;
  session.pairing_topic = proposal.pairing_topic;
  session.role = Role::kDapp;
  session.acknowledged = true;
  session.expiry = capped(settlement->expiry, options_.session_lifetime);
  session.namespaces = std::move(settlement->namespaces);
  session.required = proposal.required;
  session.self_public_key = proposal.proposer_public_key;  // the proposer key lives on as the session's
  session.peer_public_key = settlement->controller;
  session.self = options_.self;
  session.peer = std::move(settlement->controller_metadata);
  if (auto put = put_session(session); !put) return put;
  if (auto erased = erase_proposal(proposal.id); !erased) return erased;
  if (auto sent = send_result(topic, id, "wc_sessionSettle", true); !sent) return sent;
  if (auto active = activate_pairing(session.pairing_topic, &session.peer); !active) return active;
  actions_.push_back(SessionSettled{std::move(session)});
  return {};
}

Result<void> EngineCore::settle_failed(Proposal proposal, std::int64_t id, wire::RpcError error) {
  if (auto sent = send_error(proposal.session_topic, id, "wc_sessionSettle", error); !sent) return sent;
  if (auto erased = erase_proposal(proposal.id); !erased) return erased;
  if (auto erased = store_.delete_key(proposal.session_topic); !erased) return erased;
  if (auto erased = store_.delete_key(key_hex(proposal.proposer_public_key)); !erased) return erased;
  actions_.push_back(Unsubscribe{proposal.session_topic});
  actions_.push_back(ProposalRejected{proposal.id, std::move(error)});
  return {};
}

Result<std::int64_t> EngineCore::request(const std::string& topic, const std::string& chain_id,
                                         const std::string& method, Json params,
                                         std::optional<std::int64_t> expiry_seconds) {
  auto session = settled_session(topic);
  if (!session) return fail(session.error());
  if (!allows_chain((*session)->namespaces, chain_id)) {
    return fail(Errc::kUnauthorized, "chain " + chain_id + " is not in the session");
  }
  if (!allows_method((*session)->namespaces, chain_id, method)) {
    return fail(Errc::kUnauthorized, "method " + method + " is not granted on " + chain_id);
  }
  const std::int64_t seconds = expiry_seconds.value_or(options_.request_lifetime);
  if (seconds < kMinRequestExpiry || seconds > kMaxRequestExpiry) {
    return fail(Errc::kInvalid, "request expiry must be between 300 seconds and 7 days");
  }
  const std::int64_t id = next_id();
  const std::int64_t expiry = now() + seconds;
  Json wire_params = session_request_params({chain_id, method, std::move(params), expiry});
  PublishOpts opts = request_opts("wc_sessionRequest");
  opts.ttl = seconds;  // sign-client: the request's expiry is its publish ttl
  const std::string text = wire::to_json_text(wire::RpcRequest{id, "wc_sessionRequest", wire_params});
  if (auto sent = publish(topic, text, opts); !sent) return fail(sent.error());
  if (auto put = put_request({id, topic, "wc_sessionRequest", std::move(wire_params), expiry, true}); !put) {
    return fail(put.error());
  }
  return id;
}

}  // namespace keylink::session::detail
