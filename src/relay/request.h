// One parsed JSON-RPC request as the relay core handles it, and readers of its params that name the
// field that is wrong. Private to the relay core.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "keylink/relay/relay_core.h"

namespace keylink::relay {

struct RelayCore::Request {
  std::string_view id_json = "null";  // the id as it came, to answer with the same JSON type
  std::string_view method;            // empty for a response
  simdjson::dom::object params;
  std::optional<std::int64_t> acked;  // a response with a result: the delivery id it acks
};

struct RelayCore::Publish {
  StoredMessage message;
  bool ephemeral = false;
  // DESIGN.md "The relay": the message never leaves this node. A single node sends nothing to another
  // node, so it changes nothing here; it is read (and counted) so that a node of a cluster keeps it off
  // the cluster, and so that a client can see in /metrics that its flag arrived.
  bool local_only = false;
  bool prompt = false;  // WalletConnect's: wake the subscribers that are offline (push.h)
  Mailbox::Key key{};  // of a message to keep
};

// An irn_publish waiting for the end of its read (RelayCore::accept_queued).
struct RelayCore::QueuedPublish {
  Peer* peer;
  std::size_t id_at, id_size;  // its request id in queued_ids_
  Publish publish;
};

// Why a request was refused: a JSON-RPC error code, a kind for the metrics, and a message that names
// the field or the limit.
struct RelayCore::Refusal {
  int code;
  std::string kind;
  std::string message;
};

// Each reader returns nullopt when the field is absent or of another type.
inline std::optional<std::string_view> string_field(simdjson::dom::object object, std::string_view key) {
  std::string_view value;
  if (object.at_key(key).get_string().get(value)) return std::nullopt;
  return value;
}

inline std::optional<std::int64_t> int_field(simdjson::dom::object object, std::string_view key) {
  std::int64_t value;
  if (object.at_key(key).get_int64().get(value)) return std::nullopt;
  return value;
}

inline bool bool_field(simdjson::dom::object object, std::string_view key) {
  bool value = false;
  return !object.at_key(key).get_bool().get(value) && value;
}

inline std::optional<simdjson::dom::array> array_field(simdjson::dom::object object, std::string_view key) {
  simdjson::dom::array value;
  if (object.at_key(key).get_array().get(value)) return std::nullopt;
  return value;
}

// JSON-RPC error codes the relay answers with.
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
inline constexpr int kLimitExceeded = -32000;

}  // namespace keylink::relay
