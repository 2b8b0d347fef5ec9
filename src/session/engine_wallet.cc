// The wallet's side: pairing from a URI, proposals, approve/reject, the settle acknowledgement, and
// the requests a dApp sends.
#include <limits>

#include "engine_core.h"
#include "keylink/wire/errors.h"
#include "keylink/wire/keys.h"
#include "keylink/wire/pairing_uri.h"
#include "namespaces.h"

namespace keylink::session::detail {
namespace {

// The id under which a pairing topic is remembered as used in the seen table.
constexpr std::int64_t kUsedPairingId = 0;
constexpr std::int64_t kSettleAckLifetime = 300;
constexpr std::int64_t kMaxSeconds = std::numeric_limits<std::int64_t>::max();

wire::RpcError missing_or_invalid(const std::string& detail) {
  return {codes::kMissingOrInvalid, "Missing or invalid. " + detail, Json()};
}

}  // namespace

Result<std::string> EngineCore::pair(std::string_view text) {
  auto uri = wire::PairingUri::parse(text, clock_);
  if (!uri) {
    if (uri.error().code == wire::Errc::kExpired) {
      return fail(Errc::kExpired, "this pairing URI expired; ask the app for a new QR code");
    }
    return fail(context("pairing URI", uri.error()));
  }
  // A URI pairs once: scanning it again (here or after a restart) must say so, not do nothing.
  auto used = store_.seen(uri->topic, kUsedPairingId, false);
  if (!used) return fail(used.error());
  if (*used || pairings_.contains(uri->topic)) {
    return fail(Errc::kAlreadyUsed, "this pairing URI was used already; ask the app for a new QR code");
  }
  if (auto put = store_.put_key(uri->topic, uri->sym_key); !put) return fail(put.error());
  const std::int64_t expiry = capped(uri->expiry, options_.pairing_lifetime);
  if (auto put = put_pairing(Pairing{uri->topic, expiry, false, {}, Role::kWallet}); !put) {
    return fail(put.error());
  }
  // Used for as long as the URI itself is valid, however far that is.
  const std::int64_t used_until = uri->expiry < kMaxSeconds ? uri->expiry + 1 : uri->expiry;
  if (auto marked = store_.mark_seen(uri->topic, kUsedPairingId, false, used_until); !marked) {
    return fail(marked.error());
  }
  actions_.push_back(Subscribe{uri->topic});
  return uri->topic;
}

Result<void> EngineCore::on_propose(const std::string& topic, std::int64_t id, const Json& params) {
  Pairing pairing = pairings_.at(topic);
  if (pairing.role != Role::kWallet) return drop(topic, "wc_sessionPropose on a pairing we created");
  if (proposals_.contains(id)) return drop(topic, "wc_sessionPropose " + std::to_string(id) + " again");
  auto proposal = parse_proposal(params, id, topic, now() + options_.pairing_lifetime);
  if (!proposal) {
    // sign-client answers a proposal it cannot use with an auto-reject.
    auto sent =
        send_error(topic, id, "wc_sessionPropose", missing_or_invalid(proposal.error().message), kProposeAutoReject);
    if (!sent) return sent;
    return drop(topic, "wc_sessionPropose: " + proposal.error().message);
  }
  if (proposal->expiry <= now()) return drop(topic, "wc_sessionPropose expired");
  proposal->expiry = capped(proposal->expiry, options_.pairing_lifetime);
  proposal->role = Role::kWallet;
  pairing.peer = proposal->proposer;
  if (auto put = put_pairing(std::move(pairing)); !put) return put;
  if (auto put = put_proposal(*proposal); !put) return put;
  actions_.push_back(ProposalReceived{std::move(*proposal)});
  return {};
}

Result<std::string> EngineCore::approve(std::int64_t proposal_id, SessionNamespaces namespaces) {
  auto found = proposals_.find(proposal_id);
  if (found == proposals_.end() || found->second.role != Role::kWallet) {
    return fail(Errc::kNotFound, "no proposal " + std::to_string(proposal_id) + " to approve");
  }
  const Proposal proposal = found->second;
  if (proposal.expiry <= now()) return fail(Errc::kExpired, "the proposal expired; ask the app to connect again");
  if (namespaces.empty()) return fail(Errc::kInvalid, "no namespaces granted");
  if (auto bad = check_conforming(proposal.required, namespaces)) return fail(Errc::kInvalid, bad->message);

  auto keys = crypto::X25519KeyPair::generate(rng_);
  auto session_key = wire::derive_sym_key(keys.private_key, proposal.proposer_public_key);
  if (!session_key) return fail(Errc::kInvalid, "the proposer's key is unusable: " + session_key.error().message);
  const std::string session_topic = wire::topic_of(session_key->expose());
  if (auto put = store_.put_key(session_topic, *session_key); !put) return fail(put.error());
  if (auto put = store_.put_key(key_hex(keys.public_key), keys.private_key); !put) return fail(put.error());

  Session session;
  session.topic = session_topic;
  session.pairing_topic = proposal.pairing_topic;
  session.role = Role::kWallet;
  session.expiry = now() + options_.session_lifetime;
  session.namespaces = std::move(namespaces);
  session.required = proposal.required;
  session.self_public_key = keys.public_key;
  session.peer_public_key = proposal.proposer_public_key;
  session.self = options_.self;
  session.peer = proposal.proposer;
  if (auto put = put_session(session); !put) return fail(put.error());
  actions_.push_back(Subscribe{session_topic});

  // wc_approveSession order: the response on the pairing topic, then the settle on the session topic.
  auto answered =
      send_result(proposal.pairing_topic, proposal.id, "wc_sessionPropose", proposal_response(keys.public_key));
  if (!answered) return fail(answered.error());
  const Settlement settlement{keys.public_key, options_.self, session.namespaces, session.expiry};
  auto settled =
      send_tracked(session_topic, next_id(), "wc_sessionSettle", settle_params(settlement), now() + kSettleAckLifetime);
  if (!settled) return fail(settled.error());
  if (auto erased = erase_proposal(proposal.id); !erased) return fail(erased.error());
  if (auto active = activate_pairing(proposal.pairing_topic, &proposal.proposer); !active) return fail(active.error());
  return session_topic;
}

Result<void> EngineCore::reject(std::int64_t proposal_id, wire::RpcError reason) {
  auto found = proposals_.find(proposal_id);
  if (found == proposals_.end() || found->second.role != Role::kWallet) {
    return fail(Errc::kNotFound, "no proposal " + std::to_string(proposal_id) + " to reject");
  }
  const std::string topic = found->second.pairing_topic;
  if (auto sent = send_error(topic, proposal_id, "wc_sessionPropose", std::move(reason), kProposeReject); !sent) {
    return sent;
  }
  return erase_proposal(proposal_id);
}

Result<void> EngineCore::on_settle_response(const PendingRequest& request, const wire::RpcResponse& response) {
  auto found = sessions_.find(request.topic);
  if (found == sessions_.end()) return {};
  if (!response.ok()) return erase_session(request.topic, response.error());
  Session session = found->second;
  session.acknowledged = true;
  if (auto put = put_session(session); !put) return put;
  actions_.push_back(SessionSettled{std::move(session)});
  return {};
}

Result<void> EngineCore::on_session_request(const std::string& topic, std::int64_t id, const Json& params) {
  const Session& session = sessions_.at(topic);
  auto request = parse_session_request(params);
  if (!request) {
    auto sent = send_error(topic, id, "wc_sessionRequest", missing_or_invalid(request.error().message));
    if (!sent) return sent;
    return drop(topic, "wc_sessionRequest: " + request.error().message);
  }
  if (request->expiry && *request->expiry <= now()) {
    auto sent =
        send_error(topic, id, "wc_sessionRequest", {codes::kSessionRequestExpired, "Session request expired.", Json()});
    if (!sent) return sent;
    return drop(topic, "wc_sessionRequest " + std::to_string(id) + " arrived expired");
  }
  if (!allows_method(session.namespaces, request->chain_id, request->method)) {
    auto sent = send_error(
        topic, id, "wc_sessionRequest",
        {codes::kUnauthorizedMethod, "Unauthorized method. " + request->method + " on " + request->chain_id, Json()});
    if (!sent) return sent;
    return drop(topic, "wc_sessionRequest: " + request->method + " on " + request->chain_id + " is not granted");
  }
  const std::int64_t expiry = capped(request->expiry.value_or(now() + options_.request_lifetime), kMaxRequestExpiry);
  if (auto put = put_request({id, topic, "wc_sessionRequest", params, expiry, false}); !put) return put;
  actions_.push_back(
      RequestReceived{topic, id, request->chain_id, request->method, std::move(request->params), expiry});
  return {};
}

Result<void> EngineCore::respond(const std::string& topic, std::int64_t id,
                                 std::variant<Json, wire::RpcError> outcome) {
  auto found = requests_.find({topic, id});
  if (found == requests_.end() || found->second.outgoing) {
    return fail(Errc::kNotFound, "no request " + std::to_string(id) + " waits for an answer on this session");
  }
  const std::string method = found->second.method;
  const bool expired = found->second.expiry <= now();
  if (auto erased = erase_request(topic, id); !erased) return erased;
  if (expired) {
    auto sent = send_error(topic, id, method, {codes::kSessionRequestExpired, "Session request expired.", Json()});
    if (!sent) return sent;
    return fail(Errc::kExpired, "request " + std::to_string(id) + " expired before it was answered");
  }
  if (auto* result = std::get_if<Json>(&outcome)) return send_result(topic, id, method, std::move(*result));
  return send_error(topic, id, method, std::get<wire::RpcError>(std::move(outcome)));
}

}  // namespace keylink::session::detail
