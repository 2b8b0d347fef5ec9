// The relay client's JSON side, without I/O: the connect URL, request frames, and what a frame from the
// relay means. RelayClient (client.cc) does the sockets and timers around it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <variant>
#include <vector>

#include "keylink/base/result.h"
#include "keylink/relay/client.h"
#include "keylink/relay/outbox.h"
#include "keylink/wire/jsonrpc.h"

namespace keylink::relay::client_protocol {

// WalletConnect's relay batches: at most this many topics per irn_batchSubscribe / irn_batchFetchMessages.
inline constexpr std::size_t kMaxTopicsPerBatch = 500;

struct RelayUrl {
  std::string host;  // without brackets for IPv6
  std::string port;  // 80 for ws://, 443 for wss:// when the URL has none
  std::string path;  // "/" when the URL has none
  bool tls = false;  // wss://
};
// ws://HOST[:PORT][/PATH] or wss://...; fails for another scheme, a query or an empty host.
Result<RelayUrl> parse_relay_url(std::string_view url);

// One node of a relay: its URL as given (also the relay-auth JWT's aud) and parsed.
struct RelayNode {
  std::string text;
  RelayUrl url;
};
// One relay URL, or the nodes of one relay separated by commas ("ws://a:8787,ws://b:8787"), spaces
// around each ignored. Fails naming the first that does not parse, or for an empty list or entry.
Result<std::vector<RelayNode>> parse_relay_urls(std::string_view list);

// application/x-www-form-urlencoded, as URLSearchParams writes it.
std::string form_urlencode(std::string_view text);
// The upgrade request's target: PATH?auth=..&projectId=..&ua=keylink&useOnCloseEvent=true (keys sorted).
std::string connect_target(const RelayUrl& url, std::string_view jwt, std::string_view project_id);

// sha256hex(topic ‖ client id): the subscription id @walletconnect/core 2.25 computes for itself.
std::string subscription_id(std::string_view topic, std::string_view client_id);

// Request ids as WalletConnect makes them: unix ms * 1000 + a counter, strictly increasing.
class RequestIds {
 public:
  std::int64_t next(std::int64_t now_ms);

 private:
  std::int64_t last_ = 0;
};

std::string request_text(std::int64_t id, std::string_view method, wire::Json params);
std::string publish_text(std::int64_t id, const OutgoingMessage& message);
std::string ack_text(const wire::RpcId& id);  // {"id":..,"jsonrpc":"2.0","result":true}

// An irn_subscription from the relay.
struct Delivery {
  wire::RpcId id;
  RelayMessage message;
};
// An answer to one of our requests (our ids are numbers; an answer with another id is ignored).
struct Answer {
  std::int64_t id = 0;
  std::optional<wire::Json> result;  // none when the relay answered with an error
  std::string error;                 // the relay's error message
};
struct Ignored {};
using Incoming = std::variant<Ignored, Delivery, Answer>;

// Never fails: anything malformed or unknown is Ignored.
Incoming parse_incoming(std::string_view frame, std::size_t max_size);

// The result of irn_fetchMessages / irn_batchFetchMessages: well-formed messages, and hasMore.
struct FetchPage {
  std::vector<RelayMessage> messages;
  bool has_more = false;
};
FetchPage parse_fetch_result(const wire::Json& result);

// keylink_query's params: {topic, startMs?, endMs?, cursor?, limit?, direction} (src/relay/subscribe.cc).
wire::Json query_params(const QueryRequest& request);
// keylink_query's result {messages, cursor?}; fails when it is not that shape (well-formed messages are
// kept, malformed ones dropped, as for fetches).
Result<QueryPage> parse_query_result(const wire::Json& result);

// The last `capacity` (topic, message) pairs seen, by their sha256: a pair seen again is a duplicate.
class DedupeWindow {
 public:
  explicit DedupeWindow(std::size_t capacity) : capacity_(capacity) {}
  // True the first time a pair comes (and remembers it); false for a duplicate.
  bool first_time(std::string_view topic, std::string_view message);
  // Makes a pair new again: the next one is a first time (a message the app failed to handle).
  void forget(std::string_view topic, std::string_view message);

 private:
  static std::string key_of(std::string_view topic, std::string_view message);
  std::size_t capacity_;
  std::deque<std::string> order_;
  std::unordered_set<std::string> seen_;
};

}  // namespace keylink::relay::client_protocol
