#include "keylink/keystore/app_request.h"

#include <algorithm>

#include "keylink/base/check.h"
#include "keylink/base/encoding.h"
#include "keylink/crypto/hash.h"
#include "keylink/identity/keystore_errors.h"
#include "keylink/wire/errors.h"
#include "signed_bytes.h"

namespace keylink::keystore {

using detail::append_be;
using detail::append_text;

Bytes app_request_signed_bytes(std::string_view channel, std::string_view method, ByteView req,
                               std::uint64_t counter) {
  Bytes out(kRequestDomain.begin(), kRequestDomain.end());
  out.push_back(0);
  append_text(out, channel);
  append_text(out, method);
  const auto digest = crypto::sha256(req);
  out.insert(out.end(), digest.begin(), digest.end());
  append_be(out, counter, 8);
  return out;
}

wire::Json app_request_params(const crypto::Ed25519KeyPair& app_key, std::string_view channel,
                              std::string_view method, ByteView req, std::uint64_t counter) {
  KEYLINK_CHECK(counter >= 1 && counter <= kMaxAppCounter);
  wire::Json params = wire::Json::object();
  if (!req.empty()) params["req"] = to_base64(req);
  params["appCounter"] = counter;
  params["appSig"] = to_base64(app_key.sign(app_request_signed_bytes(channel, method, req, counter)));
  return params;
}

Result<AppRequest> parse_app_request(const wire::Json& params) {
  using wire::Errc;
  if (!params.is_object()) return fail(Errc::kMalformed, "params must be an object {req, appCounter, appSig}");
  AppRequest request;
  if (const auto req = params.find("req"); req != params.end()) {
    if (!req->is_string()) return fail(Errc::kMalformed, "req must be a base64 string");
    auto bytes = from_base64(req->get_ref<const std::string&>());
    if (!bytes) return fail(Errc::kMalformed, "req is not base64");
    request.req = std::move(*bytes);
  }
  const auto counter = params.find("appCounter");
  if (counter == params.end() || !counter->is_number_unsigned() || counter->get<std::uint64_t>() < 1 ||
      counter->get<std::uint64_t>() > kMaxAppCounter) {
    return fail(Errc::kMalformed, "appCounter must be an integer from 1 to 2^53-1");
  }
  request.counter = counter->get<std::uint64_t>();
  const auto sig = params.find("appSig");
  if (sig == params.end() || !sig->is_string()) return fail(Errc::kMalformed, "appSig must be a base64 string");
  auto sig_bytes = from_base64(sig->get_ref<const std::string&>());
  if (!sig_bytes || sig_bytes->size() != request.signature.size()) {
    return fail(Errc::kMalformed, "appSig must be base64 of a 64-byte Ed25519 signature");
  }
  std::copy(sig_bytes->begin(), sig_bytes->end(), request.signature.begin());
  return request;
}

Result<void> verify_app_request(const crypto::Ed25519PublicKey& app_key, std::string_view channel,
                                std::string_view method, const AppRequest& request) {
  return crypto::ed25519_verify(app_key, app_request_signed_bytes(channel, method, request.req, request.counter),
                                request.signature);
}

Result<Bytes> parse_app_response(const wire::Json& result) {
  const auto res = result.is_object() ? result.find("res") : result.end();
  if (res == result.end() || !res->is_string()) {
    return fail(identity::KeystoreErrc::kRefused, "the wallet's answer is not {\"res\": base64}");
  }
  auto bytes = from_base64(res->get_ref<const std::string&>());
  if (!bytes) return fail(identity::KeystoreErrc::kRefused, "the wallet's answer is not base64");
  return bytes;
}

}  // namespace keylink::keystore
