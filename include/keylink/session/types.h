// The domain types of the WalletConnect v2 Sign protocol: metadata, namespaces, pairings, proposals,
// sessions and requests, as the session engine keeps them and its callers see them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "keylink/base/result.h"
#include "keylink/crypto/x25519.h"
#include "keylink/wire/jsonrpc.h"

namespace keylink::session {

using wire::Json;

struct Metadata {
  std::string name;
  std::string description;
  std::string url;
  std::vector<std::string> icons;
};

// What a dApp asks for in one namespace ("eip155", "keylink").
struct ProposalNamespace {
  std::vector<std::string> chains;  // CAIP-2: "eip155:1"
  std::vector<std::string> methods;
  std::vector<std::string> events;
};
using ProposalNamespaces = std::map<std::string, ProposalNamespace>;

// What a wallet grants in one namespace.
struct SessionNamespace {
  std::vector<std::string> chains;
  std::vector<std::string> accounts;  // CAIP-10: "eip155:1:0xAbC…"
  std::vector<std::string> methods;
  std::vector<std::string> events;
};
using SessionNamespaces = std::map<std::string, SessionNamespace>;

enum class Role { kDapp, kWallet };

struct Pairing {
  std::string topic;
  std::int64_t expiry = 0;  // unix seconds
  bool active = false;      // a session proposal went through it; a used URI cannot pair again
  Metadata peer;            // known once a proposal arrived
  Role role = Role::kDapp;
};

struct Proposal {
  std::int64_t id = 0;  // the JSON-RPC id of wc_sessionPropose
  std::string pairing_topic;
  crypto::X25519PublicKey proposer_public_key{};
  Metadata proposer;
  ProposalNamespaces required;
  ProposalNamespaces optional;
  // sessionProperties: free-form text the dApp attaches ("xmtp_appKey": its app key, docs/keystore.md).
  std::map<std::string, std::string> session_properties;
  std::int64_t expiry = 0;  // unix seconds
  // The proposer's origin as Verify would judge it; offline there is no verify server: "UNKNOWN".
  std::string verify_status = "UNKNOWN";
  Role role = Role::kWallet;  // kDapp: our own proposal, awaiting the wallet; kWallet: one we received
  std::string session_topic;  // dApp: the session topic once the wallet answered, before its settle
};

struct Session {
  std::string topic;
  std::string pairing_topic;
  Role role = Role::kDapp;
  bool acknowledged = false;  // the settle request was answered (wallet) or received (dApp)
  std::int64_t expiry = 0;    // unix seconds
  SessionNamespaces namespaces;
  ProposalNamespaces required;  // what the proposal asked for
  crypto::X25519PublicKey self_public_key{};
  crypto::X25519PublicKey peer_public_key{};
  Metadata self;
  Metadata peer;
};

// A request one side sent and awaits an answer to (outgoing), or received and has not answered (incoming).
struct PendingRequest {
  std::int64_t id = 0;
  std::string topic;
  std::string method;  // wc_sessionRequest, wc_sessionPing, …
  Json params;
  std::int64_t expiry = 0;  // unix seconds
  bool outgoing = true;
};

// Error codes of @walletconnect/utils (getSdkError), as peers expect them.
namespace codes {
inline constexpr std::int64_t kMissingOrInvalid = 5;  // getInternalError("MISSING_OR_INVALID")
inline constexpr std::int64_t kExpired = 6;           // getInternalError("EXPIRED"): a session past its expiry
inline constexpr std::int64_t kInvalidMethod = 1001;
inline constexpr std::int64_t kInvalidEvent = 1002;
inline constexpr std::int64_t kInvalidUpdateRequest = 1003;
inline constexpr std::int64_t kInvalidExtendRequest = 1004;
inline constexpr std::int64_t kInvalidSessionSettleRequest = 1005;
inline constexpr std::int64_t kUnauthorizedMethod = 3001;
inline constexpr std::int64_t kUnauthorizedEvent = 3002;
inline constexpr std::int64_t kUserRejected = 5000;
inline constexpr std::int64_t kUnsupportedChains = 5100;
inline constexpr std::int64_t kUnsupportedMethods = 5101;
inline constexpr std::int64_t kUnsupportedEvents = 5102;
inline constexpr std::int64_t kUnsupportedAccounts = 5103;
inline constexpr std::int64_t kUnsupportedNamespaceKey = 5104;
inline constexpr std::int64_t kUserDisconnected = 6000;
inline constexpr std::int64_t kSessionSettlementFailed = 7000;
inline constexpr std::int64_t kSessionRequestExpired = 8000;
inline constexpr std::int64_t kMethodUnsupported = 10001;
}  // namespace codes

// Errors of the session layer, sorted by what the caller should do.
enum class Errc {
  kNotFound = 1,  // no such pairing, proposal, session or request (expired or deleted): start again
  kExpired,       // it was valid once: ask the peer for a new one
  kAlreadyUsed,   // a pairing URI that paired before: ask for a new QR code
  kInvalid,       // arguments that break the protocol (namespaces not satisfied, bad method)
  kUnauthorized,  // outside what the session grants
};
const std::error_category& session_category() noexcept;
inline std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), session_category()}; }

}  // namespace keylink::session

template <>
struct std::is_error_code_enum<keylink::session::Errc> : std::true_type {};
