// The JSON forms of the Sign protocol's params, as @walletconnect/sign-client 2.25.0 writes them, and of
// the records the session store keeps. Parsers take hostile JSON: they check every type before reading
// and fail with Errc::kInvalid and a message that names the field; they never throw.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "keylink/base/result.h"
#include "keylink/session/types.h"

namespace keylink::session::detail {

std::string key_hex(const crypto::X25519PublicKey& key);
Result<crypto::X25519PublicKey> parse_public_key(const Json& value, const char* what);

Json to_json(const Metadata& metadata);
Json to_json(const ProposalNamespaces& namespaces);
Json to_json(const SessionNamespaces& namespaces);
Result<Metadata> parse_metadata(const Json& value);
Result<ProposalNamespaces> parse_proposal_namespaces(const Json& value);
Result<SessionNamespaces> parse_session_namespaces(const Json& value);

// wc_sessionPropose params.
Json proposal_params(const Proposal& proposal);
// REQUIRES nothing of params. Fills every field of Proposal but role and session_topic.
Result<Proposal> parse_proposal(const Json& params, std::int64_t id, const std::string& pairing_topic,
                                std::int64_t default_expiry);

// The wallet's answer to wc_sessionPropose: its public key.
Json proposal_response(const crypto::X25519PublicKey& responder);
Result<crypto::X25519PublicKey> parse_proposal_response(const Json& result);

// wc_sessionSettle params.
struct Settlement {
  crypto::X25519PublicKey controller{};
  Metadata controller_metadata;
  SessionNamespaces namespaces;
  std::int64_t expiry = 0;
};
Json settle_params(const Settlement& settlement);
Result<Settlement> parse_settle(const Json& params);

// wc_sessionRequest params.
struct SessionRequest {
  std::string chain_id;
  std::string method;
  Json params;
  std::optional<std::int64_t> expiry;
};
Json session_request_params(const SessionRequest& request);
Result<SessionRequest> parse_session_request(const Json& params);

// wc_sessionEvent params.
struct SessionEvent {
  std::string chain_id;
  std::string name;
  Json data;
};
Json session_event_params(const SessionEvent& event);
Result<SessionEvent> parse_session_event(const Json& params);

// An error object as reason ({code, message}), for wc_sessionDelete and wc_pairingDelete.
Json reason_params(const wire::RpcError& reason);
wire::RpcError parse_reason(const Json& params);

// Stored records.
Json to_json(const Pairing& pairing);
Json to_json(const Proposal& proposal);
Json to_json(const Session& session);
Json to_json(const PendingRequest& request);
Result<Pairing> parse_pairing_record(const Json& value);
Result<Proposal> parse_proposal_record(const Json& value);
Result<Session> parse_session_record(const Json& value);
Result<PendingRequest> parse_request_record(const Json& value);

}  // namespace keylink::session::detail
