#include "namespaces.h"

#include <algorithm>

namespace keylink::session::detail {
namespace {

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t end; (end = text.find(separator, start)) != std::string::npos; start = end + 1) {
    parts.push_back(text.substr(start, end - start));
  }
  parts.push_back(text.substr(start));
  return parts;
}

bool nonempty_parts(const std::vector<std::string>& parts) {
  return std::none_of(parts.begin(), parts.end(), [](const std::string& p) { return p.empty(); });
}

// CAIP-2 "namespace:reference".
bool is_chain_id(const std::string& text) {
  auto parts = split(text, ':');
  return parts.size() == 2 && nonempty_parts(parts);
}

// CAIP-10 "namespace:reference:address"; its chain is the first two parts.
std::optional<std::string> account_chain(const std::string& account) {
  auto parts = split(account, ':');
  if (parts.size() != 3 || !nonempty_parts(parts)) return std::nullopt;
  return parts[0] + ":" + parts[1];
}

std::string namespace_of(const std::string& key) { return key.substr(0, key.find(':')); }

wire::RpcError error(std::int64_t code, const char* label, const std::string& detail) {
  return {code, std::string(label) + " " + detail, Json()};
}

// The entries whose chains include chain_id.
template <class Fn>
bool any_entry_for_chain(const SessionNamespaces& namespaces, const std::string& chain_id, Fn&& fn) {
  for (const auto& [key, ns] : namespaces) {
    if (contains(chains_of(key, ns), chain_id) && fn(ns)) return true;
  }
  return false;
}

}  // namespace

std::vector<std::string> chains_of(const std::string& key, const SessionNamespace& ns) {
  if (key.find(':') != std::string::npos) return {key};
  std::vector<std::string> chains = ns.chains;
  for (const auto& account : ns.accounts) {
    auto chain = account_chain(account);
    if (chain && !contains(chains, *chain)) chains.push_back(*chain);
  }
  return chains;
}

std::optional<wire::RpcError> check_session_namespaces(const SessionNamespaces& namespaces) {
  for (const auto& [key, ns] : namespaces) {
    const std::string prefix = namespace_of(key);
    for (const auto& chain : ns.chains) {
      if (!is_chain_id(chain) || namespace_of(chain) != prefix) {
        return error(codes::kUnsupportedChains, "Unsupported chains.",
                     key + ": " + chain + " is not a chain of " + prefix);
      }
    }
    for (const auto& account : ns.accounts) {
      auto chain = account_chain(account);
      if (!chain || namespace_of(*chain) != prefix) {
        return error(codes::kUnsupportedAccounts, "Unsupported accounts.",
                     key + ": " + account + " is not a CAIP-10 account");
      }
      const bool listed =
          key.find(':') != std::string::npos ? *chain == key : (ns.chains.empty() || contains(ns.chains, *chain));
      if (!listed) {
        return error(codes::kUnsupportedAccounts, "Unsupported accounts.",
                     key + ": " + account + " is on no listed chain");
      }
    }
  }
  return std::nullopt;
}

std::optional<wire::RpcError> check_conforming(const ProposalNamespaces& required, const SessionNamespaces& granted) {
  if (auto malformed = check_session_namespaces(granted)) return malformed;
  for (const auto& [key, wanted] : required) {
    const std::string prefix = namespace_of(key);
    std::vector<std::string> chains, methods, events;
    bool present = false;
    for (const auto& [granted_key, ns] : granted) {
      if (namespace_of(granted_key) != prefix) continue;
      present = true;
      for (auto& chain : chains_of(granted_key, ns)) chains.push_back(chain);
      methods.insert(methods.end(), ns.methods.begin(), ns.methods.end());
      events.insert(events.end(), ns.events.begin(), ns.events.end());
    }
    if (!present) {
      return error(codes::kUnsupportedNamespaceKey, "Unsupported namespace key.", key + " is not granted");
    }
    std::vector<std::string> wanted_chains = wanted.chains;
    if (key.find(':') != std::string::npos) wanted_chains.push_back(key);
    for (const auto& chain : wanted_chains) {
      if (!contains(chains, chain))
        return error(codes::kUnsupportedChains, "Unsupported chains.", chain + " is not granted");
    }
    for (const auto& method : wanted.methods) {
      if (!contains(methods, method)) {
        return error(codes::kUnsupportedMethods, "Unsupported methods.", method + " is not granted");
      }
    }
    for (const auto& event : wanted.events) {
      if (!contains(events, event))
        return error(codes::kUnsupportedEvents, "Unsupported events.", event + " is not granted");
    }
  }
  return std::nullopt;
}

bool allows_chain(const SessionNamespaces& namespaces, const std::string& chain_id) {
  return is_chain_id(chain_id) &&
         any_entry_for_chain(namespaces, chain_id, [](const SessionNamespace&) { return true; });
}

bool allows_method(const SessionNamespaces& namespaces, const std::string& chain_id, const std::string& method) {
  return any_entry_for_chain(namespaces, chain_id,
                             [&](const SessionNamespace& ns) { return contains(ns.methods, method); });
}

bool allows_event(const SessionNamespaces& namespaces, const std::string& chain_id, const std::string& event) {
  return any_entry_for_chain(namespaces, chain_id,
                             [&](const SessionNamespace& ns) { return contains(ns.events, event); });
}

}  // namespace keylink::session::detail
