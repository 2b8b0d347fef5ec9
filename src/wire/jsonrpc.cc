#include "keylink/wire/jsonrpc.h"

#include "keylink/wire/errors.h"
#include "keylink/wire/json_text.h"

namespace keylink::wire {
namespace {

Result<RpcId> parse_id(const Json& id) {
  if (id.is_number_integer()) {
    // Ids above the int64 range come from nowhere we talk to; refuse them rather than round them.
    if (id.is_number_unsigned() && id.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
      return fail(Errc::kMalformed, "JSON-RPC id is out of the 64-bit range");
    }
    return RpcId(id.get<std::int64_t>());
  }
  if (id.is_string()) return RpcId(id.get<std::string>());
  return fail(Errc::kMalformed, "JSON-RPC id must be an integer or a string");
}

Result<RpcError> parse_error_object(const Json& error) {
  if (!error.is_object() || !error.contains("code") || !error["code"].is_number_integer() ||
      !error.contains("message") || !error["message"].is_string()) {
    return fail(Errc::kMalformed, "JSON-RPC error must be an object with an integer code and a string message");
  }
  return RpcError{error["code"].get<std::int64_t>(), error["message"].get<std::string>(),
                  error.contains("data") ? error["data"] : Json()};
}

Result<RpcMessage> parse_request(Json& root, std::optional<RpcId> id) {
  auto& method = root["method"];
  if (!method.is_string() || method.get_ref<const std::string&>().empty()) {
    return fail(Errc::kMalformed, "JSON-RPC method must be a non-empty string");
  }
  RpcRequest request{std::move(id), method.get<std::string>(), Json()};
  if (auto params = root.find("params"); params != root.end()) {
    if (!params->is_object() && !params->is_array()) {
      return fail(Errc::kMalformed, "JSON-RPC params must be an object or an array");
    }
    request.params = std::move(*params);
  }
  return request;
}

Result<RpcMessage> parse_response(Json& root, std::optional<RpcId> id) {
  const bool has_result = root.contains("result");
  const bool has_error = root.contains("error");
  if (has_result == has_error) {
    return fail(Errc::kMalformed, "JSON-RPC response must have exactly one of result and error");
  }
  if (has_result) {
    if (!id) return fail(Errc::kMalformed, "JSON-RPC result without an id");
    return RpcResponse{std::move(id), std::move(root["result"])};
  }
  auto error = parse_error_object(root["error"]);
  if (!error) return fail(error.error());
  return RpcResponse{std::move(id), std::move(*error)};
}

}  // namespace

Json RpcId::to_json() const {
  return std::visit([](const auto& v) { return Json(v); }, value_);
}

std::string RpcId::to_string() const { return to_json().dump(); }

Result<RpcMessage> parse_rpc_message(std::string_view text, std::size_t max_size) {
  if (text.size() > max_size) {
    return fail(Errc::kTooLarge, "JSON-RPC message of " + std::to_string(text.size()) + " bytes is over the limit of " +
                                     std::to_string(max_size));
  }
  auto json = parse_json(text, kMaxRpcDepth);
  if (!json) return fail(json.error());
  Json& root = *json;
  if (!root.is_object()) return fail(Errc::kMalformed, "a JSON-RPC message must be a JSON object");
  if (auto version = root.find("jsonrpc"); version == root.end() || *version != "2.0") {
    return fail(Errc::kMalformed, "jsonrpc must be \"2.0\"");
  }
  std::optional<RpcId> id;
  if (auto found = root.find("id"); found != root.end() && !found->is_null()) {
    auto parsed = parse_id(*found);
    if (!parsed) return fail(parsed.error());
    id = std::move(*parsed);
  }
  if (root.contains("method")) return parse_request(root, std::move(id));
  return parse_response(root, std::move(id));
}

// The members in nlohmann::json's order (its objects are sorted maps), written without copying params
// or result into a tree first: a keystore batch is hundreds of KiB.
std::string to_json_text(const RpcRequest& request) {
  std::string out = "{";
  if (request.id) {
    out += "\"id\":";
    append_json(out, request.id->to_json());
    out += ',';
  }
  out += "\"jsonrpc\":\"2.0\",\"method\":";
  append_json(out, Json(request.method));
  if (!request.params.is_null()) {
    out += ",\"params\":";
    append_json(out, request.params);
  }
  out += '}';
  return out;
}

std::string to_json_text(const RpcResponse& response) {
  std::string out = "{";
  if (!response.ok()) {
    const RpcError& error = response.error();
    out += "\"error\":{\"code\":";
    append_json(out, Json(error.code));
    if (!error.data.is_null()) {
      out += ",\"data\":";
      append_json(out, error.data);
    }
    out += ",\"message\":";
    append_json(out, Json(error.message));
    out += "},";
  }
  out += "\"id\":";
  append_json(out, response.id ? response.id->to_json() : Json());
  out += ",\"jsonrpc\":\"2.0\"";
  if (response.ok()) {
    out += ",\"result\":";
    append_json(out, response.result());
  }
  out += '}';
  return out;
}

}  // namespace keylink::wire
