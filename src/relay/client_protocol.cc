#include "client_protocol.h"

#include <algorithm>
#include <cctype>

#include "keylink/base/encoding.h"
#include "keylink/crypto/hash.h"
#include "keylink/relay/errors.h"
#include "relay/comma_list.h"

namespace keylink::relay::client_protocol {
namespace {

using wire::Json;

std::optional<std::int64_t> int_of(const Json& object, const char* key) {
  auto found = object.find(key);
  if (found == object.end() || !found->is_number_integer()) return std::nullopt;
  return found->get<std::int64_t>();
}

// {topic, message, publishedAt, tag}; a message without a string topic and message is dropped.
std::optional<RelayMessage> message_of(const Json& data) {
  if (!data.is_object()) return std::nullopt;
  auto topic = data.find("topic");
  auto message = data.find("message");
  if (topic == data.end() || !topic->is_string() || message == data.end() || !message->is_string()) {
    return std::nullopt;
  }
  return RelayMessage{topic->get<std::string>(), message->get<std::string>(), int_of(data, "publishedAt").value_or(0),
                      int_of(data, "tag").value_or(0)};
}

}  // namespace

Result<RelayUrl> parse_relay_url(std::string_view url) {
  RelayUrl out;
  out.tls = url.starts_with("wss://");
  if (!out.tls && !url.starts_with("ws://")) {
    return fail(Errc::kBadOption, "relay URL '" + std::string(url) + "' must start with ws:// or wss://");
  }
  std::string_view rest = url.substr(out.tls ? 6 : 5);
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return fail(Errc::kBadOption, "relay URL '" + std::string(url) + "' must have no query or fragment");
  }
  const std::size_t slash = rest.find('/');
  out.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  std::string_view authority = rest.substr(0, slash);
  std::string_view port = out.tls ? "443" : "80";
  if (authority.starts_with('[')) {  // [IPv6]:port
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return fail(Errc::kBadOption, "relay URL: unclosed '[' in the host");
    out.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (authority.starts_with(':')) port = authority.substr(1);
  } else {
    const std::size_t colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (out.host.empty()) return fail(Errc::kBadOption, "relay URL '" + std::string(url) + "' has no host");
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return fail(Errc::kBadOption, "relay URL '" + std::string(url) + "' has a bad port");
  }
  out.port = std::string(port);
  return out;
}

Result<std::vector<RelayNode>> parse_relay_urls(std::string_view list) {
  std::vector<RelayNode> out;
  for (const std::string_view text : split_comma_list(list)) {
    if (text.empty()) return fail(Errc::kBadOption, "relay URL list '" + std::string(list) + "' has an empty entry");
    auto url = parse_relay_url(text);
    if (!url) return fail(url.error());
    out.push_back({std::string(text), std::move(*url)});
  }
  return out;
}

std::string form_urlencode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '*' || c == '-' || c == '.' || c == '_') {
      out += c;
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 15];
    }
  }
  return out;
}

// spec "Relay connection and auth": keys sorted, as formatRelayRpcUrl sorts them.
std::string connect_target(const RelayUrl& url, std::string_view jwt, std::string_view project_id) {
  return url.path + "?auth=" + form_urlencode(jwt) + "&projectId=" + form_urlencode(project_id) +
         "&ua=keylink&useOnCloseEvent=true";
}

std::string subscription_id(std::string_view topic, std::string_view client_id) {
  return to_hex(crypto::sha256(as_bytes(std::string(topic) + std::string(client_id))));
}

std::int64_t RequestIds::next(std::int64_t now_ms) {
  last_ = std::max(last_ + 1, now_ms * 1000);
  return last_;
}

std::string request_text(std::int64_t id, std::string_view method, Json params) {
  return wire::to_json_text(wire::RpcRequest{wire::RpcId(id), std::string(method), std::move(params)});
}

std::string publish_text(std::int64_t id, const OutgoingMessage& message) {
  Json params = {{"topic", message.topic},
                 {"message", message.message},
                 {"ttl", message.ttl},
                 {"tag", message.tag},
                 {"prompt", false}};
  if (message.ephemeral) params["ephemeral"] = true;  // keylink-relay's extensions
  if (message.local_only) params["localOnly"] = true;
  return request_text(id, "irn_publish", std::move(params));
}

std::string ack_text(const wire::RpcId& id) { return wire::to_json_text(wire::RpcResponse{id, Json(true)}); }

Incoming parse_incoming(std::string_view frame, std::size_t max_size) {
  auto parsed = wire::parse_rpc_message(frame, max_size);
  if (!parsed) return Ignored{};
  if (auto* request = std::get_if<wire::RpcRequest>(&*parsed)) {
    if (request->method != "irn_subscription" || !request->id || !request->params.is_object()) return Ignored{};
    auto data = request->params.find("data");
    if (data == request->params.end()) return Ignored{};
    auto message = message_of(*data);
    if (!message) return Ignored{};
    return Delivery{*request->id, std::move(*message)};
  }
  auto& response = std::get<wire::RpcResponse>(*parsed);
  if (!response.id || !response.id->is_number()) return Ignored{};
  Answer answer;
  answer.id = response.id->to_json().get<std::int64_t>();
  if (response.ok()) {
    answer.result = response.result();
  } else {
    answer.error = response.error().message;
  }
  return answer;
}

FetchPage parse_fetch_result(const Json& result) {
  FetchPage page;
  if (!result.is_object()) return page;
  if (auto messages = result.find("messages"); messages != result.end() && messages->is_array()) {
    for (const Json& item : *messages) {
      if (auto message = message_of(item)) page.messages.push_back(std::move(*message));
    }
  }
  if (auto more = result.find("hasMore"); more != result.end() && more->is_boolean()) page.has_more = more->get<bool>();
  return page;
}

Json query_params(const QueryRequest& request) {
  Json params = {{"topic", request.topic},
                 {"direction", request.direction == QueryRequest::Direction::kDescending ? "desc" : "asc"}};
  if (request.start_ms) params["startMs"] = *request.start_ms;
  if (request.end_ms) params["endMs"] = *request.end_ms;
  if (request.cursor) params["cursor"] = *request.cursor;
  if (request.limit) params["limit"] = *request.limit;
  return params;
}

Result<QueryPage> parse_query_result(const Json& result) {
  if (!result.is_object()) return fail(Errc::kRefused, "relay answered keylink_query with something not an object");
  auto messages = result.find("messages");
  if (messages == result.end() || !messages->is_array()) {
    return fail(Errc::kRefused, "relay answered keylink_query without a messages array");
  }
  QueryPage page;
  for (const Json& item : *messages) {
    if (auto message = message_of(item)) page.messages.push_back(std::move(*message));
  }
  if (auto cursor = result.find("cursor"); cursor != result.end() && !cursor->is_null()) {
    if (!cursor->is_string()) return fail(Errc::kRefused, "relay answered keylink_query with a non-string cursor");
    page.cursor = cursor->get<std::string>();
  }
  return page;
}

std::string DedupeWindow::key_of(std::string_view topic, std::string_view message) {
  // The topic's length first, so that no two (topic, message) pairs hash the same text.
  const std::string text = std::to_string(topic.size()) + ':' + std::string(topic) + std::string(message);
  return std::string(as_chars(crypto::sha256(as_bytes(text))));
}

void DedupeWindow::forget(std::string_view topic, std::string_view message) {
  // Its place in order_ stays; erasing it from there later is harmless.
  seen_.erase(key_of(topic, message));
}

bool DedupeWindow::first_time(std::string_view topic, std::string_view message) {
  if (capacity_ == 0) return true;
  std::string key = key_of(topic, message);
  if (!seen_.insert(key).second) return false;
  order_.push_back(std::move(key));
  if (order_.size() > capacity_) {
    seen_.erase(order_.front());
    order_.pop_front();
  }
  return true;
}

}  // namespace keylink::relay::client_protocol
