// wc_peer: keylink's WalletConnect URIs, envelopes, session keys and relay JWTs behind a line protocol,
// so that wc_utils.test.js can hold them against @walletconnect/utils and @walletconnect/relay-auth.
//
// One JSON request per line on stdin, one JSON answer per line on stdout, in order:
//   {"op":"format_uri","symKey","expiry","methods"?,"relay"?,"kl"?,"topic"?} -> {"uri"}
//   {"op":"parse_uri","uri","now"} -> {"topic","symKey","expiry","methods","relayProtocol","relay","kl"}
//   {"op":"seal","type":0|1|2,"symKey","senderPublicKey"?,"message","nonce"?} -> {"envelope"}
//   {"op":"open","symKey"|"privateKey","envelope"}     -> {"message","type","senderPublicKey"?}
//   {"op":"derive","privateKey","publicKey"}           -> {"symKey"}
//   {"op":"sign_jwt","seed","sub","aud","iat","ttl"}   -> {"jwt","iss"}
//   {"op":"verify_jwt","jwt"}                          -> {"iss","sub","aud","iat","exp"}
// A keylink error answers {"error","category","code"}; a request this program cannot read answers
// {"peer_error"}, so the tests never mistake a harness bug for a refusal by keylink.
#include <chrono>
#include <cstdint>
#include <exception>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "keylink/base/clock.h"
#include "keylink/base/encoding.h"
#include "keylink/base/rng.h"
#include "keylink/base/secret.h"
#include "keylink/crypto/did_key.h"
#include "keylink/crypto/ed25519.h"
#include "keylink/crypto/jwt.h"
#include "keylink/wire/envelope.h"
#include "keylink/wire/errors.h"
#include "keylink/wire/keys.h"
#include "keylink/wire/pairing_uri.h"

namespace {

using nlohmann::json;
using namespace keylink;

json refused(const Error& error) {
  return {{"error", error.message}, {"category", error.code.category().name()}, {"code", error.code.value()}};
}

// Test inputs are trusted to be well formed: a bad one is a harness bug, reported as peer_error.
template <std::size_t N>
std::array<std::uint8_t, N> hex_array(const json& request, const char* field) {
  auto bytes = from_hex_array<N>(request.at(field).get<std::string>());
  if (!bytes) throw std::invalid_argument(std::string(field) + ": " + bytes.error().message);
  return *bytes;
}

Secret<32> hex_secret(const json& request, const char* field) {
  auto bytes = hex_array<32>(request, field);
  Secret<32> secret{ByteView(bytes)};
  secure_wipe(bytes.data(), bytes.size());
  return secret;
}

json format_uri(const json& request) {
  wire::PairingUri uri;
  uri.sym_key = hex_secret(request, "symKey");
  uri.topic = request.value("topic", wire::topic_of(uri.sym_key.expose()));
  uri.expiry = request.at("expiry").get<std::int64_t>();
  uri.methods = request.value("methods", std::vector<std::string>{});
  for (const auto& [name, value] : request.value("relay", std::map<std::string, std::string>{})) {
    if (name == "protocol") {
      uri.relay_protocol = value;
    } else {
      uri.relay_params[name] = value;
    }
  }
  for (const auto& [name, value] : request.value("kl", std::map<std::string, std::string>{})) uri.kl_params[name] = value;
  return {{"uri", uri.to_string()}};
}

json parse_uri(const json& request) {
  const ManualClock clock(TimePoint(std::chrono::seconds(request.at("now").get<std::int64_t>())));
  auto uri = wire::PairingUri::parse(request.at("uri").get<std::string>(), clock);
  if (!uri) return refused(uri.error());
  return {{"topic", uri->topic},     {"symKey", to_hex(uri->sym_key.expose())}, {"expiry", uri->expiry},
          {"methods", uri->methods}, {"relayProtocol", uri->relay_protocol},    {"relay", uri->relay_params},
          {"kl", uri->kl_params}};
}

json seal_envelope(const json& request, Rng& system_rng) {
  const auto message = request.at("message").get<std::string>();
  const int type = request.at("type").get<int>();
  if (type == 2) return {{"envelope", wire::encode_type2(message)}};
  // A given nonce makes the envelope reproducible, to compare bytes with encrypt({iv}).
  FixedRng fixed_rng;
  Rng* rng = &system_rng;
  if (request.contains("nonce")) {
    fixed_rng.push(hex_array<crypto::kAeadNonceSize>(request, "nonce"));
    rng = &fixed_rng;
  }
  const auto key = hex_secret(request, "symKey");
  if (type == 0) return {{"envelope", wire::seal_type0(key, message, *rng)}};
  const auto sender = hex_array<32>(request, "senderPublicKey");
  return {{"envelope", wire::seal_type1(key, sender, message, *rng)}};
}

json open_envelope(const json& request) {
  auto envelope = wire::Envelope::decode(request.at("envelope").get<std::string>());
  if (!envelope) return refused(envelope.error());
  json answer = {{"type", static_cast<int>(envelope->type)}};
  if (envelope->sender_public_key) answer["senderPublicKey"] = to_hex(*envelope->sender_public_key);
  if (envelope->type == wire::EnvelopeType::kType2) {
    answer["message"] = std::string(as_chars(envelope->body));
    return answer;
  }
  Result<Secret<32>> key = fail(wire::Errc::kMalformed, "peer: no key for this envelope");
  if (envelope->type == wire::EnvelopeType::kType1 && request.contains("privateKey")) {
    key = wire::derive_sym_key(hex_secret(request, "privateKey"), *envelope->sender_public_key);
  } else if (request.contains("symKey")) {
    key = hex_secret(request, "symKey");
  }
  if (!key) return refused(key.error());
  auto message = envelope->open(*key);
  if (!message) return refused(message.error());
  answer["message"] = *message;
  return answer;
}

json derive(const json& request) {
  auto key = wire::derive_sym_key(hex_secret(request, "privateKey"), hex_array<32>(request, "publicKey"));
  if (!key) return refused(key.error());
  return {{"symKey", to_hex(key->expose())}};
}

json sign_jwt(const json& request) {
  const auto key = crypto::Ed25519KeyPair::from_seed(hex_secret(request, "seed"));
  return {{"jwt",
           crypto::sign_relay_auth_jwt(key, request.at("sub").get<std::string>(), request.at("aud").get<std::string>(),
                                       request.at("iat").get<std::int64_t>(), request.at("ttl").get<std::int64_t>())},
          {"iss", crypto::did_key_from_ed25519(key.public_key())}};
}

json verify_jwt(const json& request) {
  auto claims = crypto::verify_relay_auth_jwt(request.at("jwt").get<std::string>());
  if (!claims) return refused(claims.error());
  return {{"iss", claims->iss}, {"sub", claims->sub}, {"aud", claims->aud}, {"iat", claims->iat}, {"exp", claims->exp}};
}

json answer(const json& request, Rng& rng) {
  const auto op = request.at("op").get<std::string>();
  if (op == "format_uri") return format_uri(request);
  if (op == "parse_uri") return parse_uri(request);
  if (op == "seal") return seal_envelope(request, rng);
  if (op == "open") return open_envelope(request);
  if (op == "derive") return derive(request);
  if (op == "sign_jwt") return sign_jwt(request);
  if (op == "verify_jwt") return verify_jwt(request);
  throw std::invalid_argument("unknown op " + op);
}

}  // namespace

int main() {
  SystemRng rng;
  std::string line;
  while (std::getline(std::cin, line)) {
    json reply;
    try {
      reply = answer(json::parse(line), rng);
    } catch (const std::exception& e) {
      reply = {{"peer_error", e.what()}};
    }
    // Opened bytes that are not UTF-8 still come back, with U+FFFD, rather than killing the peer.
    std::cout << reply.dump(-1, ' ', false, json::error_handler_t::replace) << '\n' << std::flush;
  }
  return 0;
}
