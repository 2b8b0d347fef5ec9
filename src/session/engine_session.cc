// A settled session, from either side: events, update and extend (the wallet controls), ping, delete,
// and the pairing's own ping and delete.
#include "engine_core.h"
#include "json_fields.h"
#include "namespaces.h"

namespace keylink::session::detail {
namespace {

constexpr std::int64_t kAckLifetime = 300;  // sign-client waits 5 minutes for a ping/update/extend answer

wire::RpcError sdk_error(std::int64_t code, const std::string& message) { return {code, message, Json()}; }

const wire::RpcError kUserDisconnected{codes::kUserDisconnected, "User disconnected.", Json()};

}  // namespace

Result<Session*> EngineCore::settled_session(const std::string& topic) {
  auto found = sessions_.find(topic);
  if (found == sessions_.end()) return fail(Errc::kNotFound, "no session on topic " + topic);
  if (!found->second.acknowledged) return fail(Errc::kNotFound, "the session is not settled yet");
  return &found->second;
}

// sign-client isRequestOutOfSync: ids are payloadId() (unix ms * 1000 + 3 random digits), compared
// without their random digits.
bool EngineCore::out_of_sync(const std::string& key, std::int64_t id) const {
  auto last = last_applied_.find(key);
  return last != last_applied_.end() && id / 1000 < last->second / 1000;
}

Result<void> EngineCore::emit(const std::string& topic, const std::string& chain_id, const std::string& name,
                              Json data) {
  auto session = settled_session(topic);
  if (!session) return fail(session.error());
  if (!allows_event((*session)->namespaces, chain_id, name)) {
    return fail(Errc::kUnauthorized, "event " + name + " is not granted on " + chain_id);
  }
  // sign-client answers a valid event with nothing, so nothing waits for an answer.
  return send_request(topic, next_id(), "wc_sessionEvent", session_event_params({chain_id, name, std::move(data)}));
}

Result<void> EngineCore::update(const std::string& topic, SessionNamespaces namespaces) {
  auto session = settled_session(topic);
  if (!session) return fail(session.error());
  if ((*session)->role != Role::kWallet) return fail(Errc::kUnauthorized, "only the wallet updates a session");
  if (auto bad = check_conforming((*session)->required, namespaces)) return fail(Errc::kInvalid, bad->message);
  Session updated = **session;
  updated.namespaces = std::move(namespaces);
  Json params = {{"namespaces", to_json(updated.namespaces)}};
  if (auto put = put_session(std::move(updated)); !put) return put;
  return send_tracked(topic, next_id(), "wc_sessionUpdate", std::move(params), now() + kAckLifetime);
}

Result<void> EngineCore::extend(const std::string& topic) {
  auto session = settled_session(topic);
  if (!session) return fail(session.error());
  if ((*session)->role != Role::kWallet) return fail(Errc::kUnauthorized, "only the wallet extends a session");
  Session extended = **session;
  extended.expiry = now() + options_.session_lifetime;
  if (auto put = put_session(std::move(extended)); !put) return put;
  return send_tracked(topic, next_id(), "wc_sessionExtend", Json::object(), now() + kAckLifetime);
}

Result<std::int64_t> EngineCore::ping(const std::string& topic) {
  const char* method = sessions_.contains(topic)   ? "wc_sessionPing"
                       : pairings_.contains(topic) ? "wc_pairingPing"
                                                   : nullptr;
  if (!method) return fail(Errc::kNotFound, "no session or pairing on topic " + topic);
  const std::int64_t id = next_id();
  if (auto sent = send_tracked(topic, id, method, Json::object(), now() + kAckLifetime); !sent)
    return fail(sent.error());
  return id;
}

Result<void> EngineCore::disconnect(const std::string& topic) {
  if (sessions_.contains(topic)) {
    if (auto sent = send_request(topic, next_id(), "wc_sessionDelete", reason_params(kUserDisconnected)); !sent) {
      return sent;
    }
    return erase_session(topic, kUserDisconnected);
  }
  if (pairings_.contains(topic)) {
    if (auto sent = send_request(topic, next_id(), "wc_pairingDelete", reason_params(kUserDisconnected)); !sent) {
      return sent;
    }
    if (auto erased = erase_pairing(topic); !erased) return erased;
    actions_.push_back(PairingDeleted{topic});
    return {};
  }
  return fail(Errc::kNotFound, "no session or pairing on topic " + topic);
}

Result<void> EngineCore::on_session_method(const std::string& topic, std::int64_t id, const wire::RpcRequest& request) {
  const std::string& method = request.method;
  Session session = sessions_.at(topic);
  if (method == "wc_sessionPing") return send_result(topic, id, method, true);
  // sign-client sends no answer to a delete: the sender has already forgotten the session.
  if (method == "wc_sessionDelete") return erase_session(topic, parse_reason(request.params));
  if (method == "wc_sessionUpdate") {
    if (session.role != Role::kDapp) {
      return send_error(topic, id, method, sdk_error(3003, "Unauthorized update request."));
    }
    // Found by engine_adversarial_test: two updates delivered newest first left the dApp with the
    // older namespaces. sign-client refuses the older one with INVALID_UPDATE_REQUEST.
    const std::string memory_key = topic + "_session_update";
    if (out_of_sync(memory_key, id)) {
      auto sent = send_error(topic, id, method, sdk_error(codes::kInvalidUpdateRequest, "Invalid update request."));
      if (!sent) return sent;
      return drop(topic, "wc_sessionUpdate " + std::to_string(id) + " is older than the update applied last");
    }
    const Json* value = field(request.params, "namespaces");
    auto namespaces = parse_session_namespaces(value ? *value : Json());
    if (!namespaces) {
      return send_error(
          topic, id, method,
          sdk_error(codes::kInvalidUpdateRequest, "Invalid update request. " + namespaces.error().message));
    }
    if (auto bad = check_conforming(session.required, *namespaces)) return send_error(topic, id, method, *bad);
    session.namespaces = std::move(*namespaces);
    if (auto put = put_session(session); !put) return put;
    if (auto sent = send_result(topic, id, method, true); !sent) return sent;
    last_applied_[memory_key] = id;
    actions_.push_back(SessionUpdated{topic, std::move(session.namespaces)});
    return {};
  }
  if (method == "wc_sessionExtend") {
    if (session.role != Role::kDapp) {
      return send_error(topic, id, method, sdk_error(3004, "Unauthorized extend request."));
    }
    session.expiry = now() + options_.session_lifetime;
    if (auto put = put_session(session); !put) return put;
    if (auto sent = send_result(topic, id, method, true); !sent) return sent;
    actions_.push_back(SessionExtended{topic, session.expiry});
    return {};
  }
  if (method == "wc_sessionEvent") {
    auto event = parse_session_event(request.params);
    if (!event) {
      return send_error(topic, id, method, sdk_error(codes::kInvalidEvent, "Invalid event. " + event.error().message));
    }
    // As for updates: an older event of the same name (chainChanged 1 after chainChanged 137) would
    // undo the newer one; sign-client ignores it without an answer.
    const std::string memory_key = topic + "_session_event_" + event->name;
    if (out_of_sync(memory_key, id)) {
      return drop(topic, "wc_sessionEvent " + event->name + " is older than the one applied last");
    }
    if (!allows_event(session.namespaces, event->chain_id, event->name)) {
      return send_error(topic, id, method, sdk_error(codes::kUnauthorizedEvent, "Unauthorized event. " + event->name));
    }
    last_applied_[memory_key] = id;
    actions_.push_back(EventReceived{topic, event->chain_id, event->name, std::move(event->data)});
    return {};
  }
  if (method == "wc_sessionSettle") return drop(topic, "wc_sessionSettle on a settled session");
  if (auto sent =
          send_error(topic, id, method, sdk_error(codes::kMethodUnsupported, "Unsupported wc_ method. " + method));
      !sent) {
    return sent;
  }
  return drop(topic, "unsupported method " + method);
}

Result<void> EngineCore::on_pairing_method(const std::string& topic, std::int64_t id, const wire::RpcRequest& request) {
  if (request.method == "wc_pairingPing") return send_result(topic, id, request.method, true);
  if (request.method == "wc_pairingDelete") {
    if (auto erased = erase_pairing(topic); !erased) return erased;
    actions_.push_back(PairingDeleted{topic});
    return {};
  }
  auto sent = send_error(topic, id, request.method,
                         sdk_error(codes::kMethodUnsupported, "Unsupported wc_ method. " + request.method));
  if (!sent) return sent;
  return drop(topic, "unsupported method " + request.method + " on a pairing");
}

Result<void> EngineCore::on_session_response(const PendingRequest& request, const wire::RpcResponse& response) {
  if (request.method == "wc_sessionRequest") {
    actions_.push_back(ResponseReceived{request.topic, request.id, response.outcome});
    return {};
  }
  if (!response.ok()) {
    return drop(request.topic, "the peer refused " + request.method + ": " + response.error().message);
  }
  if (request.method == "wc_sessionPing" || request.method == "wc_pairingPing") {
    actions_.push_back(PingAnswered{request.topic, request.id});
  }
  return {};
}

}  // namespace keylink::session::detail
