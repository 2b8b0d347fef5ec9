// The methods no approval ever gets (docs/keystore.md, "What is never done"), for the gate and the
// grant policy alike.
#pragma once

#include <string>
#include <string_view>

namespace keylink::keystore::detail {

// getPrivateKeyBundle, initKeystore, or anything that names an export or a private key.
bool never_allowed(std::string_view method);

// Why `method`, not in the table of rpc.h, is refused: "never: private keys do not leave the wallet",
// or that the namespace has no such method. Quotes at most 64 bytes of it.
std::string why_not_a_method(std::string_view method);

}  // namespace keylink::keystore::detail
