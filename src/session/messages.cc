#include "messages.h"

#include "json_fields.h"
#include "keylink/base/encoding.h"

namespace keylink::session::detail {
namespace {

Result<std::vector<std::string>> strings(const Json& object, const char* name, bool required,
                                         const std::string& where) {
  auto list = strings_field(object, name, required);
  if (!list) return invalid(where + "." + name + " must be an array of strings");
  return *list;
}

// sessionProperties: an object of strings (sign-client's SessionTypes.SessionProperties).
Result<std::map<std::string, std::string>> parse_session_properties(const Json& value) {
  if (!value.is_object()) return invalid("sessionProperties must be an object");
  std::map<std::string, std::string> out;
  for (const auto& [key, text] : value.items()) {
    if (!text.is_string()) return invalid("sessionProperties." + key + " must be a string");
    out.emplace(key, text.get<std::string>());
  }
  return out;
}

Json role_json(Role role) { return role == Role::kDapp ? "dapp" : "wallet"; }
Role parse_role(const Json& object) { return string_field(object, "role") == "dapp" ? Role::kDapp : Role::kWallet; }

}  // namespace

std::string key_hex(const crypto::X25519PublicKey& key) { return to_hex(key); }

Result<crypto::X25519PublicKey> parse_public_key(const Json& value, const char* what) {
  if (!value.is_string()) return invalid(std::string(what) + " must be a hex string");
  auto key = from_hex_array<32>(value.get<std::string>());
  if (!key) return invalid(std::string(what) + ": " + key.error().message);
  return *key;
}

Json to_json(const Metadata& metadata) {
  return {
      {"name", metadata.name}, {"description", metadata.description}, {"url", metadata.url}, {"icons", metadata.icons}};
}

// Peers fill metadata loosely: a missing field reads as empty, a field of the wrong type is refused.
Result<Metadata> parse_metadata(const Json& value) {
  if (!value.is_object()) return invalid("metadata must be an object");
  Metadata metadata;
  for (auto [name, out] : {std::pair{"name", &metadata.name}, std::pair{"description", &metadata.description},
                           std::pair{"url", &metadata.url}}) {
    if (!field(value, name)) continue;
    auto text = string_field(value, name);
    if (!text) return invalid(std::string("metadata.") + name + " must be a string");
    *out = *text;
  }
  auto icons = strings(value, "icons", false, "metadata");
  if (!icons) return fail(icons.error());
  metadata.icons = std::move(*icons);
  return metadata;
}

Json to_json(const ProposalNamespaces& namespaces) {
  Json out = Json::object();
  for (const auto& [key, ns] : namespaces) {
    Json entry = {{"methods", ns.methods}, {"events", ns.events}};
    if (!ns.chains.empty()) entry["chains"] = ns.chains;
    out[key] = std::move(entry);
  }
  return out;
}

Json to_json(const SessionNamespaces& namespaces) {
  Json out = Json::object();
  for (const auto& [key, ns] : namespaces) {
    Json entry = {{"accounts", ns.accounts}, {"methods", ns.methods}, {"events", ns.events}};
    if (!ns.chains.empty()) entry["chains"] = ns.chains;
    out[key] = std::move(entry);
  }
  return out;
}

Result<ProposalNamespaces> parse_proposal_namespaces(const Json& value) {
  if (!value.is_object()) return invalid("namespaces must be an object");
  ProposalNamespaces out;
  for (const auto& [key, entry] : value.items()) {
    const std::string where = "namespaces." + key;
    if (!entry.is_object()) return invalid(where + " must be an object");
    ProposalNamespace ns;
    auto chains = strings(entry, "chains", false, where);
    auto methods = strings(entry, "methods", false, where);
    auto events = strings(entry, "events", false, where);
    if (!chains) return fail(chains.error());
    if (!methods) return fail(methods.error());
    if (!events) return fail(events.error());
    ns.chains = std::move(*chains);
    ns.methods = std::move(*methods);
    ns.events = std::move(*events);
    out[key] = std::move(ns);
  }
  return out;
}

Result<SessionNamespaces> parse_session_namespaces(const Json& value) {
  if (!value.is_object()) return invalid("namespaces must be an object");
  SessionNamespaces out;
  for (const auto& [key, entry] : value.items()) {
    const std::string where = "namespaces." + key;
    if (!entry.is_object()) return invalid(where + " must be an object");
    SessionNamespace ns;
    auto chains = strings(entry, "chains", false, where);
    auto accounts = strings(entry, "accounts", true, where);
    auto methods = strings(entry, "methods", true, where);
    auto events = strings(entry, "events", true, where);
    if (!chains) return fail(chains.error());
    if (!accounts) return fail(accounts.error());
    if (!methods) return fail(methods.error());
    if (!events) return fail(events.error());
    ns.chains = std::move(*chains);
    ns.accounts = std::move(*accounts);
    ns.methods = std::move(*methods);
    ns.events = std::move(*events);
    out[key] = std::move(ns);
  }
  return out;
}

// sign-client 2.25.0 connect(): the proposal object is the params, its id included.
Json proposal_params(const Proposal& proposal) {
  Json out = {
      {"requiredNamespaces", to_json(proposal.required)},
      {"optionalNamespaces", to_json(proposal.optional)},
      {"relays", Json::array({{{"protocol", "irn"}}})},
      {"proposer", {{"publicKey", key_hex(proposal.proposer_public_key)}, {"metadata", to_json(proposal.proposer)}}},
      {"expiryTimestamp", proposal.expiry},
      {"pairingTopic", proposal.pairing_topic},
      {"id", proposal.id}};
  // sign-client leaves sessionProperties out when the dApp gave none.
  if (!proposal.session_properties.empty()) out["sessionProperties"] = proposal.session_properties;
  return out;
}

Result<Proposal> parse_proposal(const Json& params, std::int64_t id, const std::string& pairing_topic,
                                std::int64_t default_expiry) {
  if (!params.is_object()) return invalid("wc_sessionPropose params must be an object");
  Proposal proposal;
  proposal.id = id;
  proposal.pairing_topic = pairing_topic;
  const Json* proposer = field(params, "proposer");
  if (!proposer || !proposer->is_object()) return invalid("proposer must be an object");
  const Json* key = field(*proposer, "publicKey");
  if (!key) return invalid("proposer.publicKey is missing");
  auto public_key = parse_public_key(*key, "proposer.publicKey");
  if (!public_key) return fail(public_key.error());
  proposal.proposer_public_key = *public_key;
  const Json* metadata = field(*proposer, "metadata");
  if (!metadata) return invalid("proposer.metadata is missing");
  auto parsed_metadata = parse_metadata(*metadata);
  if (!parsed_metadata) return fail(parsed_metadata.error());
  proposal.proposer = std::move(*parsed_metadata);
  const Json* relays = field(params, "relays");
  if (!relays || !relays->is_array() || relays->empty()) return invalid("relays must be a non-empty array");
  for (const Json& relay : *relays) {
    if (!string_field(relay, "protocol")) return invalid("relays[].protocol must be a string");
  }
  for (auto [name, out] :
       {std::pair{"requiredNamespaces", &proposal.required}, std::pair{"optionalNamespaces", &proposal.optional}}) {
    const Json* value = field(params, name);
    if (!value) continue;
    auto namespaces = parse_proposal_namespaces(*value);
    if (!namespaces) return fail(context(name, namespaces.error()));
    *out = std::move(*namespaces);
  }
  if (const Json* properties = field(params, "sessionProperties")) {
    auto parsed = parse_session_properties(*properties);
    if (!parsed) return fail(parsed.error());
    proposal.session_properties = std::move(*parsed);
  }
  if (field(params, "expiryTimestamp")) {
    auto expiry = int_field(params, "expiryTimestamp");
    if (!expiry) return invalid("expiryTimestamp must be an integer");
    proposal.expiry = *expiry;
  } else {
    proposal.expiry = default_expiry;
  }
  return proposal;
}

Json proposal_response(const crypto::X25519PublicKey& responder) {
  return {{"relay", {{"protocol", "irn"}}}, {"responderPublicKey", key_hex(responder)}};
}

Result<crypto::X25519PublicKey> parse_proposal_response(const Json& result) {
  const Json* key = field(result, "responderPublicKey");
  if (!key) return invalid("responderPublicKey is missing");
  return parse_public_key(*key, "responderPublicKey");
}

Json settle_params(const Settlement& settlement) {
  return {{"relay", {{"protocol", "irn"}}},
          {"namespaces", to_json(settlement.namespaces)},
          {"controller",
           {{"publicKey", key_hex(settlement.controller)}, {"metadata", to_json(settlement.controller_metadata)}}},
          {"expiry", settlement.expiry}};
}

Result<Settlement> parse_settle(const Json& params) {
  if (!params.is_object()) return invalid("wc_sessionSettle params must be an object");
  const Json* relay = field(params, "relay");
  if (!relay || !string_field(*relay, "protocol")) return invalid("relay.protocol must be a string");
  Settlement out;
  const Json* controller = field(params, "controller");
  if (!controller || !controller->is_object()) return invalid("controller must be an object");
  const Json* key = field(*controller, "publicKey");
  if (!key) return invalid("controller.publicKey is missing");
  auto public_key = parse_public_key(*key, "controller.publicKey");
  if (!public_key) return fail(public_key.error());
  out.controller = *public_key;
  if (const Json* metadata = field(*controller, "metadata")) {
    auto parsed = parse_metadata(*metadata);
    if (!parsed) return fail(parsed.error());
    out.controller_metadata = std::move(*parsed);
  }
  const Json* namespaces = field(params, "namespaces");
  if (!namespaces) return invalid("namespaces is missing");
  auto parsed_namespaces = parse_session_namespaces(*namespaces);
  if (!parsed_namespaces) return fail(parsed_namespaces.error());
  out.namespaces = std::move(*parsed_namespaces);
  auto expiry = int_field(params, "expiry");
  if (!expiry) return invalid("expiry must be an integer");
  out.expiry = *expiry;
  return out;
}

Json session_request_params(const SessionRequest& request) {
  Json inner = {{"method", request.method}, {"params", request.params}};
  if (request.expiry) inner["expiryTimestamp"] = *request.expiry;
  return {{"request", std::move(inner)}, {"chainId", request.chain_id}};
}

Result<SessionRequest> parse_session_request(const Json& params) {
  SessionRequest out;
  auto chain = string_field(params, "chainId");
  if (!chain) return invalid("chainId must be a string");
  out.chain_id = *chain;
  const Json* request = field(params, "request");
  if (!request || !request->is_object()) return invalid("request must be an object");
  auto method = string_field(*request, "method");
  if (!method || method->empty()) return invalid("request.method must be a non-empty string");
  out.method = *method;
  if (const Json* inner = field(*request, "params")) out.params = *inner;
  if (const Json* expiry = field(*request, "expiryTimestamp"); expiry && !expiry->is_null()) {
    auto value = int_field(*request, "expiryTimestamp");
    if (!value) return invalid("request.expiryTimestamp must be an integer");
    out.expiry = *value;
  }
  return out;
}

Json session_event_params(const SessionEvent& event) {
  return {{"event", {{"name", event.name}, {"data", event.data}}}, {"chainId", event.chain_id}};
}

Result<SessionEvent> parse_session_event(const Json& params) {
  SessionEvent out;
  auto chain = string_field(params, "chainId");
  if (!chain) return invalid("chainId must be a string");
  out.chain_id = *chain;
  const Json* event = field(params, "event");
  if (!event || !event->is_object()) return invalid("event must be an object");
  auto name = string_field(*event, "name");
  if (!name || name->empty()) return invalid("event.name must be a non-empty string");
  out.name = *name;
  if (const Json* data = field(*event, "data")) out.data = *data;
  return out;
}

Json reason_params(const wire::RpcError& reason) { return {{"code", reason.code}, {"message", reason.message}}; }

wire::RpcError parse_reason(const Json& params) {
  return {int_field(params, "code").value_or(codes::kUserDisconnected),
          string_field(params, "message").value_or("User disconnected."), Json()};
}

// ---- Stored records: our own JSON, read back with the same care (a damaged row is an error, not a crash).

Json to_json(const Pairing& pairing) {
  return {{"topic", pairing.topic},
          {"expiry", pairing.expiry},
          {"active", pairing.active},
          {"peer", to_json(pairing.peer)},
          {"role", role_json(pairing.role)}};
}

Result<Pairing> parse_pairing_record(const Json& value) {
  Pairing out;
  auto topic = string_field(value, "topic");
  auto expiry = int_field(value, "expiry");
  auto active = bool_field(value, "active");
  const Json* peer = field(value, "peer");
  if (!topic || !expiry || !active || !peer) return invalid("pairing record is damaged");
  auto metadata = parse_metadata(*peer);
  if (!metadata) return fail(metadata.error());
  out.topic = *topic;
  out.expiry = *expiry;
  out.active = *active;
  out.peer = std::move(*metadata);
  out.role = parse_role(value);
  return out;
}

Json to_json(const Proposal& proposal) {
  Json out = proposal_params(proposal);
  out["role"] = role_json(proposal.role);
  out["sessionTopic"] = proposal.session_topic;
  out["verifyStatus"] = proposal.verify_status;
  return out;
}

Result<Proposal> parse_proposal_record(const Json& value) {
  auto id = int_field(value, "id");
  auto topic = string_field(value, "pairingTopic");
  if (!id || !topic) return invalid("proposal record is damaged");
  auto proposal = parse_proposal(value, *id, *topic, 0);
  if (!proposal) return fail(proposal.error());
  proposal->role = parse_role(value);
  proposal->session_topic = string_field(value, "sessionTopic").value_or("");
  proposal->verify_status = string_field(value, "verifyStatus").value_or("UNKNOWN");
  return proposal;
}

Json to_json(const Session& session) {
  return {{"topic", session.topic},
          {"pairingTopic", session.pairing_topic},
          {"role", role_json(session.role)},
          {"acknowledged", session.acknowledged},
          {"expiry", session.expiry},
          {"namespaces", to_json(session.namespaces)},
          {"requiredNamespaces", to_json(session.required)},
          {"self", {{"publicKey", key_hex(session.self_public_key)}, {"metadata", to_json(session.self)}}},
          {"peer", {{"publicKey", key_hex(session.peer_public_key)}, {"metadata", to_json(session.peer)}}}};
}

Result<Session> parse_session_record(const Json& value) {
  Session out;
  auto topic = string_field(value, "topic");
  auto pairing = string_field(value, "pairingTopic");
  auto acknowledged = bool_field(value, "acknowledged");
  auto expiry = int_field(value, "expiry");
  const Json* namespaces = field(value, "namespaces");
  const Json* required = field(value, "requiredNamespaces");
  const Json* self = field(value, "self");
  const Json* peer = field(value, "peer");
  if (!topic || !pairing || !acknowledged || !expiry || !namespaces || !required || !self || !peer) {
    return invalid("session record is damaged");
  }
  auto session_namespaces = parse_session_namespaces(*namespaces);
  auto required_namespaces = parse_proposal_namespaces(*required);
  if (!session_namespaces || !required_namespaces) return invalid("session record: damaged namespaces");
  for (auto [party, key, metadata] :
       {std::tuple{self, &out.self_public_key, &out.self}, std::tuple{peer, &out.peer_public_key, &out.peer}}) {
    const Json* public_key = field(*party, "publicKey");
    const Json* party_metadata = field(*party, "metadata");
    if (!public_key || !party_metadata) return invalid("session record: damaged party");
    auto parsed_key = parse_public_key(*public_key, "publicKey");
    auto parsed_metadata = parse_metadata(*party_metadata);
    if (!parsed_key || !parsed_metadata) return invalid("session record: damaged party");
    *key = *parsed_key;
    *metadata = std::move(*parsed_metadata);
  }
  out.topic = *topic;
  out.pairing_topic = *pairing;
  out.role = parse_role(value);
  out.acknowledged = *acknowledged;
  out.expiry = *expiry;
  out.namespaces = std::move(*session_namespaces);
  out.required = std::move(*required_namespaces);
  return out;
}

Json to_json(const PendingRequest& request) {
  return {{"id", request.id},         {"topic", request.topic},   {"method", request.method},
          {"params", request.params}, {"expiry", request.expiry}, {"outgoing", request.outgoing}};
}

Result<PendingRequest> parse_request_record(const Json& value) {
  auto id = int_field(value, "id");
  auto topic = string_field(value, "topic");
  auto method = string_field(value, "method");
  auto expiry = int_field(value, "expiry");
  auto outgoing = bool_field(value, "outgoing");
  const Json* params = field(value, "params");
  if (!id || !topic || !method || !expiry || !outgoing || !params) return invalid("request record is damaged");
  return PendingRequest{*id, *topic, *method, *params, *expiry, *outgoing};
}

}  // namespace keylink::session::detail
