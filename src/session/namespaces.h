// CAIP namespaces: what a wallet grants against what a dApp asked for, and what a session allows.
// Mirrors @walletconnect/utils isValidNamespaces / isConformingNamespaces / isValidNamespacesRequest.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "keylink/session/types.h"

namespace keylink::session::detail {

// The chains one namespace entry covers: its key when the key is a chain ("eip155:1"), else its chains
// and the chains of its accounts.
std::vector<std::string> chains_of(const std::string& key, const SessionNamespace& ns);

// Well-formed: CAIP-2 chains and CAIP-10 accounts under their namespace key, accounts on listed chains.
std::optional<wire::RpcError> check_session_namespaces(const SessionNamespaces& namespaces);
// Every required namespace, chain, method and event is granted (the 5100-5104 codes say which is not).
std::optional<wire::RpcError> check_conforming(const ProposalNamespaces& required, const SessionNamespaces& granted);

bool allows_chain(const SessionNamespaces& namespaces, const std::string& chain_id);
bool allows_method(const SessionNamespaces& namespaces, const std::string& chain_id, const std::string& method);
bool allows_event(const SessionNamespaces& namespaces, const std::string& chain_id, const std::string& event);

}  // namespace keylink::session::detail
