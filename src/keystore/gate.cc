#include "keylink/keystore/gate.h"

#include <optional>
#include <utility>

#include "keylink/base/encoding.h"
#include "keylink/keystore/app_request.h"
#include "keylink/keystore/errors.h"
#include "keylink/store/transaction.h"
#include "never_allowed.h"

namespace keylink::keystore {
namespace {

using Refusal = tl::unexpected<wire::RpcError>;

Refusal refuse(std::int64_t code, std::string message) { return Refusal(wire::RpcError{code, std::move(message), {}}); }

std::string outcome_of(const tl::expected<wire::Json, wire::RpcError>& result) {
  return result ? "ok" : std::to_string(result.error().code);
}

}  // namespace

struct Gate::Verdict {
  Verdict(std::string approval_in, tl::expected<wire::Json, wire::RpcError> result_in)
      : approval(std::move(approval_in)), result(std::move(result_in)) {}
  std::string approval;  // empty until the channel named one
  bool proven = false;   // signed by the approval's app key
  std::size_t items = 1;
  std::vector<std::string> topics;
  tl::expected<wire::Json, wire::RpcError> result;
};

Gate::Gate(store::Database& db, const store::Vault& vault, const Clock& clock, Rng& rng, RateLimits limits)
    : db_(&db), approvals_(db), log_(db, vault, rng), limiter_(limits), clock_(&clock) {}

tl::expected<wire::Json, wire::RpcError> Gate::answer(std::string_view channel, std::string_view method,
                                                      const wire::Json& params, const KeystoreHandler& handler) {
  std::optional<store::Transaction> own;
  if (!db_->in_transaction()) {
    auto begun = store::Transaction::begin(*db_);
    if (!begun) return refuse(wire::kRpcInternalError, "the wallet could not open its store: " + begun.error().message);
    own.emplace(std::move(*begun));
  }
  const TimePoint now = clock_->now();
  Verdict verdict = decide(channel, method, params, handler, now);
  if (!verdict.proven && unproven_.take_request(channel, now) != Over::kNothing) return std::move(verdict.result);
  AuditEvent event{verdict.approval, std::string(method.substr(0, kMaxLoggedMethod)), verdict.items,
                   outcome_of(verdict.result), std::move(verdict.topics)};
  if (auto logged = log_.append(event, now); !logged) {
    return refuse(wire::kRpcInternalError, "the wallet could not write its audit log: " + logged.error().message);
  }
  if (own) {
    if (auto committed = own->commit(); !committed) {
      return refuse(wire::kRpcInternalError, "the wallet could not write its audit log: " + committed.error().message);
    }
  }
  return std::move(verdict.result);
}

Gate::Verdict Gate::decide(std::string_view channel, std::string_view method, const wire::Json& params,
                           const KeystoreHandler& handler, TimePoint now) {
  const auto info = find_method(method);
  if (!info) return Verdict({}, refuse(codes::kNotGranted, detail::why_not_a_method(method)));
  auto request = parse_app_request(params);
  if (!request) return Verdict({}, refuse(codes::kInvalidParams, std::string(method) + ": " + request.error().message));
  if (!info->has_request && !request->req.empty()) {
    return Verdict({}, refuse(codes::kInvalidParams, std::string(method) + " takes no req"));
  }
  auto found = approvals_.find_by_channel(channel);
  if (!found) {
    return Verdict(
        {}, refuse(wire::kRpcInternalError, "the wallet could not read its approvals: " + found.error().message));
  }
  if (!*found) {
    return Verdict({}, refuse(codes::kNoApproval,
                              "no approval for this session: the wallet's user has not approved this app, or deleted "
                              "its approval"));
  }
  Approval& approval = **found;
  Verdict refused(approval.id, wire::Json());
  if (approval.revoked_at) {
    refused.result = refuse(codes::kApprovalRevoked, "approval " + approval.id + " was revoked on " +
                                                         iso_time(*approval.revoked_at) + "; ask the wallet's user");
    return refused;
  }
  if (approval.expired(now)) {
    refused.result =
        refuse(codes::kApprovalExpired, "approval " + approval.id + " expired on " + iso_time(approval.expires_at) +
                                            " (an approval lasts 30 days); the wallet's user may renew it");
    return refused;
  }
  if (!verify_app_request(approval.app_key, channel, method, *request)) {
    refused.result =
        refuse(codes::kBadAppSignature,
               "appSig is not a signature of this request by the app key approval " + approval.id + " was granted to");
    return refused;
  }
  return run(approval, *info, *request, handler, now);
}

// The request is the app's own (signed): taking its counter refuses a replay, and it counts as a use
// whatever follows.
Gate::Verdict Gate::run(Approval& approval, const MethodInfo& info, const AppRequest& request,
                        const KeystoreHandler& handler, TimePoint now) {
  Verdict verdict(approval.id, wire::Json());
  if (auto used = approvals_.record_use(approval.id, info.name, request.counter, now); !used) {
    verdict.result =
        used.error().code == Errc::kReplayedCounter
            ? refuse(codes::kReplayedCounter, used.error().message)
            : refuse(wire::kRpcInternalError, "the wallet could not record the call: " + used.error().message);
    return verdict;
  }
  verdict.proven = true;  // a replay proves nothing: only a counter taken now does
  if (!approval.grants(info.scope)) {
    verdict.result =
        refuse(codes::kNotGranted, std::string(info.name) + " needs the scope '" + std::string(scope_name(info.scope)) +
                                       "', which approval " + approval.id + " does not grant");
    return verdict;
  }
  notice_lifted_pause(approval, now);
  if (approval.paused(now)) {
    verdict.result =
        refuse(codes::kRateLimited, "approval " + approval.id + " is paused until " + iso_time(*approval.paused_until) +
                                        ": it went over its rate limit");
    return verdict;
  }
  if (const Over over = limiter_.take_request(approval.id, now); over != Over::kNothing) {
    verdict.result = pause(approval, over, now);
    return verdict;
  }
  ServiceReply reply = handler(info.name, request.req);
  verdict.items = reply.items;
  verdict.topics = std::move(reply.topics);
  if (limiter_.take_items(approval.id, reply.items, now) == Over::kItems) {
    auto paused = pause(approval, Over::kItems, now);
    verdict.result = reply.result ? paused : Refusal(std::move(reply.result.error()));
    return verdict;
  }
  if (!reply.result) {
    verdict.result = Refusal(std::move(reply.result.error()));
  } else {
    verdict.result = wire::Json{{"res", to_base64(*reply.result)}};
  }
  return verdict;
}

tl::unexpected<wire::RpcError> Gate::pause(Approval& approval, Over over, TimePoint now) {
  const TimePoint until = now + limiter_.limits().pause;
  const std::string message = "over the rate limit of " + limiter_.describe(over) + ": approval " + approval.id +
                              " is paused until " + iso_time(until);
  if (auto paused = approvals_.pause(approval.id, until); !paused) {
    return refuse(codes::kRateLimited,
                  message + " (the wallet could not keep the pause: " + paused.error().message + ")");
  }
  approval.paused_until = until;
  paused_by_us_.insert_or_assign(approval.id, until);
  if (on_pause) on_pause(approval);
  return refuse(codes::kRateLimited, message);
}

// A pause that ended before its time was lifted by the user (`keylink apps renew`): the buckets start
// full again, or the next request would pause the approval at once.
void Gate::notice_lifted_pause(const Approval& approval, TimePoint now) {
  const auto ours = paused_by_us_.find(approval.id);
  if (ours == paused_by_us_.end() || approval.paused(now)) return;
  if (now < ours->second) limiter_.refill(approval.id);
  paused_by_us_.erase(ours);
}

}  // namespace keylink::keystore
