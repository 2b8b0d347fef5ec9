// The wallet's answer to a WalletConnect proposal: which namespaces, chains, accounts and methods it
// grants (eip155 for ordinary signing, keylink's own, and the keystore's `xmtp`, docs/keystore.md),
// which scopes the app asks for, and the app key it offers.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "keylink/base/result.h"
#include "keylink/crypto/ed25519.h"
#include "keylink/crypto/ethereum.h"
#include "keylink/keystore/rpc.h"
#include "keylink/session/types.h"

namespace keylink::keystore {

// The namespaces granted for `proposal`:
//   - eip155 and keylink: the chains asked ("<namespace>:1" when none) with `eth_address`, and the
//     methods and events asked;
//   - xmtp: chain xmtp:v2 only, account "xmtp:v2:" + `xmtp_address`, the methods of the table (rpc.h)
//     that were asked, no events; left out when optional and the wallet has no messaging identity
//     (`xmtp_address` nullopt) or the app asked for nothing it can have;
//   - any other namespace: left out when optional.
// Fails with session::Errc::kInvalid, saying why, when a required namespace cannot be granted whole
// (another namespace, another chain, a method outside the table or never allowed, events, or xmtp
// without a messaging identity).
Result<session::SessionNamespaces> grant_namespaces(const session::Proposal& proposal,
                                                    const crypto::EthAddress& eth_address,
                                                    std::optional<std::string> xmtp_address);

// The scopes the `methods` asked need, in the order of the Scope enum, without kAny and without
// duplicates: push only when xmtp_getV2ConversationHmacKeys was asked. Names outside the table are
// ignored.
std::vector<Scope> scopes_asked(const std::vector<std::string>& methods);

// The app key the proposal offers (sessionProperties.xmtp_appKey, base64 of 32 bytes). Fails with
// session::Errc::kInvalid when it is missing or malformed: such an app cannot use the xmtp namespace.
Result<crypto::Ed25519PublicKey> app_key_of(const session::Proposal& proposal);

}  // namespace keylink::keystore
