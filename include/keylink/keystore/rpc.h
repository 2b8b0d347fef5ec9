// The `xmtp` namespace's methods and errors (docs/keystore.md), shared by the wallet's policy
// (keystore::Gate), the RPCs behind it (keystore::KeystoreService) and the app side
// (keystore::RemoteKeystore).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "keylink/base/bytes.h"
#include "keylink/wire/jsonrpc.h"

namespace keylink::keystore {

inline constexpr std::string_view kNamespace = "xmtp";
inline constexpr std::string_view kChain = "xmtp:v2";
inline constexpr std::string_view kMethodPrefix = "xmtp_";
// The sessionProperties key of the app's Ed25519 public key (base64 of 32 bytes).
inline constexpr std::string_view kAppKeyProperty = "xmtp_appKey";
// The most items one batch request may hold; a larger one is refused whole (kBatchTooLarge).
inline constexpr std::size_t kMaxBatch = 1000;

// What an approval grants. kAny: every approval may call it (the public bundle, the status).
enum class Scope { kAny, kRead, kSend, kAuth, kPreferences, kPush };
std::string_view scope_name(Scope scope);

struct MethodInfo {
  std::string_view name;  // with its prefix: "xmtp_decryptV2"
  Scope scope;
  bool has_request;  // false: no `req` (getPublicKeyBundle, getV1Conversations, ...)
};
// The table of docs/keystore.md, in its order.
std::span<const MethodInfo> methods();
// nullopt for a name that is not in it.
std::optional<MethodInfo> find_method(std::string_view name);

// JSON-RPC error codes of the namespace.
namespace codes {
inline constexpr std::int64_t kNotGranted = 3001;  // WalletConnect's "unauthorized method"
inline constexpr std::int64_t kInvalidParams = -32602;
inline constexpr std::int64_t kNoApproval = 9101;
inline constexpr std::int64_t kBadAppSignature = 9102;
inline constexpr std::int64_t kReplayedCounter = 9103;
inline constexpr std::int64_t kApprovalExpired = 9104;
inline constexpr std::int64_t kApprovalRevoked = 9105;
inline constexpr std::int64_t kRateLimited = 9106;
inline constexpr std::int64_t kBatchTooLarge = 9107;
inline constexpr std::int64_t kRefusedByPolicy = 9108;
}  // namespace codes

// The RPCs' answer to one request, with what the policy counts and logs of it.
struct ServiceReply {
  tl::expected<Bytes, wire::RpcError> result;  // the response protobuf, or the refusal
  std::size_t items = 1;                       // the batch's item count (1 for a single request)
  std::vector<std::string> topics;             // the conversation topics it named, each once (the log hashes them)
};

// The RPCs behind the policy: `method` with its prefix, `req` the request protobuf (empty for a method
// without one).
using KeystoreHandler = std::function<ServiceReply(std::string_view method, ByteView req)>;

}  // namespace keylink::keystore
