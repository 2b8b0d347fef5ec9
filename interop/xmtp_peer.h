// The parts of the xmtp_peer program (xmtp_peer.cc) shared by its op files: each op file adds its
// requests to the table, and the line loop in xmtp_peer.cc answers them. Bytes travel as lowercase hex.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "keylink/base/bytes.h"
#include "keylink/base/result.h"
#include "keylink/base/rng.h"
#include "keylink/wire/xmtp/keys.h"
#include "keylink/wire/xmtp/private_keys.h"

namespace keylink::interop {

using nlohmann::json;
namespace wx = keylink::wire::xmtp;

// A keylink error, answered as {"error","category","code"}.
struct Refused {
  Error error;
};

json refused(const Error& error);

// Unwraps a keylink Result; a failure becomes the answer.
template <class T>
T ok(Result<T> result) {
  if (!result) throw Refused{result.error()};
  return std::move(*result);
}
inline void ok(Result<void> result) {
  if (!result) throw Refused{result.error()};
}

// The hex field of a request; std::invalid_argument (answered {"peer_error"}) when it is not hex.
Bytes hex_field(const json& request, const char* field);
// The request's "privateBundle", which must be a PrivateKeyBundle{v2}.
wx::PrivateKeyBundleV2 private_bundle(const json& request);
// The EIP-55 address of the wallet that signed an identity key.
std::string wallet_of(const wx::SignedPublicKey& identity);

using Op = std::function<json(const json& request, Rng& rng)>;
using Ops = std::map<std::string, Op>;

// Each defined in its own op file; their requests are listed at the top of that file.
void add_identity_ops(Ops& ops);  // xmtp_peer_identity.cc
void add_message_ops(Ops& ops);   // xmtp_peer_messages.cc

}  // namespace keylink::interop
