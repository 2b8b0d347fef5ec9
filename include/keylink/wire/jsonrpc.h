// JSON-RPC 2.0 messages, as WalletConnect peers and relays exchange them.
//
// Ids are integers or strings and keep their JSON type: WalletConnect sends 19-digit ids as numbers from
// some clients and as strings from others, and a reply must carry the id exactly as it came.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "keylink/base/result.h"

namespace keylink::wire {

using Json = nlohmann::json;

class RpcId {
 public:
  RpcId(std::int64_t number) : value_(number) {}        // NOLINT(google-explicit-constructor)
  RpcId(std::string text) : value_(std::move(text)) {}  // NOLINT(google-explicit-constructor)

  bool is_number() const noexcept { return std::holds_alternative<std::int64_t>(value_); }
  Json to_json() const;
  // The id as text, for logs and maps: "123" or "\"123\"" keep numbers and strings apart.
  std::string to_string() const;

  friend bool operator==(const RpcId&, const RpcId&) = default;
  friend auto operator<=>(const RpcId&, const RpcId&) = default;

 private:
  std::variant<std::int64_t, std::string> value_;
};

struct RpcRequest {
  std::optional<RpcId> id;  // none for a notification
  std::string method;
  Json params;  // an object, an array, or null when absent
};

struct RpcError {
  std::int64_t code = 0;
  std::string message;
  Json data;  // null when absent
};

// Standard codes (JSON-RPC 2.0, section 5.1).
inline constexpr std::int64_t kRpcParseError = -32700;
inline constexpr std::int64_t kRpcInvalidRequest = -32600;
inline constexpr std::int64_t kRpcMethodNotFound = -32601;
inline constexpr std::int64_t kRpcInvalidParams = -32602;
inline constexpr std::int64_t kRpcInternalError = -32603;

struct RpcResponse {
  std::optional<RpcId> id;               // none only for an error about a request whose id could not be read
  std::variant<Json, RpcError> outcome;  // the result, or the error

  bool ok() const noexcept { return outcome.index() == 0; }
  const Json& result() const { return std::get<Json>(outcome); }
  const RpcError& error() const { return std::get<RpcError>(outcome); }
};

using RpcMessage = std::variant<RpcRequest, RpcResponse>;

inline constexpr std::size_t kMaxRpcMessageSize = 4 << 20;
inline constexpr int kMaxRpcDepth = 64;

// Parses one message. Fails with kTooLarge over max_size bytes or kMaxRpcDepth levels of nesting, and
// kMalformed (the message names the field) for anything that is not a JSON-RPC 2.0 request or response.
Result<RpcMessage> parse_rpc_message(std::string_view text, std::size_t max_size = kMaxRpcMessageSize);

std::string to_json_text(const RpcRequest& request);
std::string to_json_text(const RpcResponse& response);

}  // namespace keylink::wire
