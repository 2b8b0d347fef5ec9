// What expires: proposals and pairings (5 min), sessions (7 days unless extended), requests (their own
// expiry), and the memory of seen message ids.
#include <algorithm>

#include "engine_core.h"

namespace keylink::session::detail {
namespace {

// 2100-01-01: what next_deadline() says for anything later (a record stored before expiries were capped),
// so that the TimePoint, in nanoseconds, cannot overflow.
constexpr std::int64_t kLatestDeadline = 4'102'444'800;

}  // namespace

Result<void> EngineCore::on_timer() { return expire_due(); }

std::optional<TimePoint> EngineCore::next_deadline() const {
  std::optional<std::int64_t> soonest;
  auto consider = [&](std::int64_t expiry) { soonest = soonest ? std::min(*soonest, expiry) : expiry; };
  for (const auto& [topic, pairing] : pairings_) consider(pairing.expiry);
  for (const auto& [id, proposal] : proposals_) consider(proposal.expiry);
  for (const auto& [topic, session] : sessions_) consider(session.expiry);
  for (const auto& [key, request] : requests_) consider(request.expiry);
  if (!soonest) return std::nullopt;
  return TimePoint(std::chrono::seconds(std::min(*soonest, kLatestDeadline)));
}

Result<void> EngineCore::expire_due() {
  const std::int64_t t = now();
  std::vector<std::int64_t> proposals;
  for (const auto& [id, proposal] : proposals_) {
    if (proposal.expiry <= t) proposals.push_back(id);
  }
  for (auto id : proposals) {
    Proposal proposal = proposals_[id];
    if (auto erased = erase_proposal(id); !erased) return erased;
    if (proposal.role != Role::kDapp) continue;
    // sign-client's proposal_expire: the pending session's key and subscription go too.
    if (auto erased = store_.delete_key(key_hex(proposal.proposer_public_key)); !erased) return erased;
    if (!proposal.session_topic.empty()) {
      if (auto erased = store_.delete_key(proposal.session_topic); !erased) return erased;
      actions_.push_back(Unsubscribe{proposal.session_topic});
    }
    actions_.push_back(ProposalRejected{id, {codes::kSessionRequestExpired, "Proposal expired", Json()}});
  }

  std::vector<PendingRequest> requests;
  for (const auto& [key, request] : requests_) {
    if (request.expiry <= t) requests.push_back(request);
  }
  for (const auto& request : requests) {
    if (auto erased = erase_request(request.topic, request.id); !erased) return erased;
    if (request.method == "wc_sessionSettle") continue;  // the session stays unacknowledged
    if (!request.outgoing && sessions_.contains(request.topic)) {
      auto sent = send_error(request.topic, request.id, request.method,
                             {codes::kSessionRequestExpired, "Session request expired.", Json()});
      if (!sent) return sent;
    }
    actions_.push_back(RequestExpired{request.topic, request.id});
  }

  std::vector<std::string> sessions;
  for (const auto& [topic, session] : sessions_) {
    if (session.expiry <= t) sessions.push_back(topic);
  }
  for (const auto& topic : sessions) {
    if (auto erased = erase_session(topic, wire::RpcError{codes::kExpired, "Session expired.", Json()}); !erased) {
      return erased;
    }
  }

  std::vector<std::string> pairings;
  for (const auto& [topic, pairing] : pairings_) {
    if (pairing.expiry <= t) pairings.push_back(topic);
  }
  for (const auto& topic : pairings) {
    if (auto erased = erase_pairing(topic); !erased) return erased;
    actions_.push_back(PairingDeleted{topic});
  }
  return store_.forget_seen_before(t);
}

}  // namespace keylink::session::detail
