#include "keylink/keystore/grant_policy.h"

#include <algorithm>

#include "keylink/base/encoding.h"
#include "never_allowed.h"

namespace keylink::keystore {
namespace {

using session::Errc;

void add_unique(std::vector<std::string>& list, const std::string& item) {
  if (std::find(list.begin(), list.end(), item) == list.end()) list.push_back(item);
}

bool contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// eip155 and keylink: what was asked, with the wallet's Ethereum account on each chain.
void grant_ethereum(const std::string& key, const session::ProposalNamespace& asked, const crypto::EthAddress& address,
                    session::SessionNamespace& out) {
  const std::vector<std::string> chains = asked.chains.empty() ? std::vector<std::string>{key + ":1"} : asked.chains;
  for (const auto& chain : chains) {
    if (contains(out.chains, chain)) continue;
    out.chains.push_back(chain);
    out.accounts.push_back(chain + ":" + address.to_string());
  }
  for (const auto& method : asked.methods) add_unique(out.methods, method);
  for (const auto& event : asked.events) add_unique(out.events, event);
}

// docs/keystore.md, "The namespace": chain xmtp:v2, the table's methods, no events.
Result<void> grant_xmtp(const session::ProposalNamespace& asked, bool required, const std::string& xmtp_address,
                        session::SessionNamespace& out) {
  if (required) {
    for (const auto& chain : asked.chains) {
      if (chain != kChain) return fail(Errc::kInvalid, "the xmtp namespace has only the chain xmtp:v2, not " + chain);
    }
    for (const auto& method : asked.methods) {
      if (!find_method(method)) return fail(Errc::kInvalid, "the app requires " + detail::why_not_a_method(method));
    }
    if (!asked.events.empty()) return fail(Errc::kInvalid, "the xmtp namespace has no events");
  } else if (!asked.chains.empty() && !contains(asked.chains, kChain)) {
    return {};  // only other chains: nothing to grant
  }
  for (const auto& method : asked.methods) {
    if (find_method(method)) add_unique(out.methods, method);
  }
  if (!required && out.methods.empty()) return {};
  if (out.chains.empty()) {
    out.chains.emplace_back(kChain);
    out.accounts.push_back(std::string(kChain) + ":" + xmtp_address);
  }
  return {};
}

}  // namespace

Result<session::SessionNamespaces> grant_namespaces(const session::Proposal& proposal,
                                                    const crypto::EthAddress& eth_address,
                                                    std::optional<std::string> xmtp_address) {
  session::SessionNamespaces granted;
  for (const auto* group : {&proposal.required, &proposal.optional}) {
    const bool required = group == &proposal.required;
    for (const auto& [key, asked] : *group) {
      if (key == "eip155" || key == "keylink") {
        grant_ethereum(key, asked, eth_address, granted[key]);
      } else if (key == kNamespace && xmtp_address) {
        if (auto ok = grant_xmtp(asked, required, *xmtp_address, granted[key]); !ok) return fail(ok.error());
      } else if (key == kNamespace && required) {
        return fail(Errc::kInvalid,
                    "the app needs the xmtp namespace (chat through this wallet's messaging keys), and this wallet "
                    "has no messaging identity yet: make one first (`keylink chat list`)");
      } else if (required) {
        return fail(Errc::kInvalid, "unsupported namespace " + key);
      }
    }
  }
  // An optional xmtp namespace the app asked nothing of stays out.
  if (const auto xmtp = granted.find(std::string(kNamespace)); xmtp != granted.end() && xmtp->second.chains.empty()) {
    granted.erase(xmtp);
  }
  return granted;
}

std::vector<Scope> scopes_asked(const std::vector<std::string>& methods) {
  std::vector<Scope> scopes;
  for (const auto& method : methods) {
    const auto info = find_method(method);
    if (info && info->scope != Scope::kAny && std::find(scopes.begin(), scopes.end(), info->scope) == scopes.end()) {
      scopes.push_back(info->scope);
    }
  }
  std::sort(scopes.begin(), scopes.end());
  return scopes;
}

Result<crypto::Ed25519PublicKey> app_key_of(const session::Proposal& proposal) {
  const auto found = proposal.session_properties.find(std::string(kAppKeyProperty));
  if (found == proposal.session_properties.end()) {
    return fail(Errc::kInvalid,
                "the app offered no app key (sessionProperties.xmtp_appKey): it cannot use the xmtp "
                "namespace");
  }
  auto bytes = from_base64(found->second);
  crypto::Ed25519PublicKey key{};
  if (!bytes || bytes->size() != key.size()) {
    return fail(Errc::kInvalid, "sessionProperties.xmtp_appKey must be base64 of a 32-byte Ed25519 public key");
  }
  std::copy(bytes->begin(), bytes->end(), key.begin());
  return key;
}

}  // namespace keylink::keystore
