// A request of the `xmtp` namespace as the app sends it (docs/keystore.md, "The app proves itself on
// every request"): params {req, appCounter, appSig}, the signature by the app key over the channel,
// the method, sha256 of req and the counter. The app side builds them; the wallet side (keystore::Gate)
// parses and checks them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "keylink/base/bytes.h"
#include "keylink/base/result.h"
#include "keylink/crypto/ed25519.h"
#include "keylink/wire/jsonrpc.h"

namespace keylink::keystore {

inline constexpr std::string_view kRequestDomain = "keylink-keystore-request-v1";
// Counters are JSON integers a JavaScript app can hold exactly.
inline constexpr std::uint64_t kMaxAppCounter = (std::uint64_t{1} << 53) - 1;

// "keylink-keystore-request-v1" ‖ 0 ‖ u32be len ‖ channel ‖ u32be len ‖ method ‖ sha256(req) ‖ u64be counter
Bytes app_request_signed_bytes(std::string_view channel, std::string_view method, ByteView req,
                               std::uint64_t counter);

// The params of one request, signed. REQUIRES: 1 <= counter <= kMaxAppCounter.
wire::Json app_request_params(const crypto::Ed25519KeyPair& app_key, std::string_view channel,
                              std::string_view method, ByteView req, std::uint64_t counter);

// The params as the wallet reads them, before any check but their shape.
struct AppRequest {
  Bytes req;  // empty when the method takes none
  std::uint64_t counter = 0;
  crypto::Ed25519Signature signature{};
};

// Fails with wire::Errc::kMalformed, saying which field is wrong, for anything but
// {req?: base64, appCounter: 1..2^53-1, appSig: base64 of 64 bytes}.
Result<AppRequest> parse_app_request(const wire::Json& params);

// Fails with crypto::Errc::kBadSignature unless `request` is signed by `app_key` for this channel and
// method.
Result<void> verify_app_request(const crypto::Ed25519PublicKey& app_key, std::string_view channel,
                                std::string_view method, const AppRequest& request);

// The result of a request as the app reads it: {"res": base64(response protobuf)}. Fails with
// identity::KeystoreErrc::kRefused, saying what is wrong, for anything else.
Result<Bytes> parse_app_response(const wire::Json& result);

}  // namespace keylink::keystore
