// xmtp_peer: keylink's XMTP v2 wire types and crypto behind a line protocol, so that xmtp.test.js can
// hold them against @xmtp/xmtp-js 13.0.4. Bytes travel as lowercase hex.
//
// One JSON request per line on stdin, one JSON answer per line on stdout, in order:
//   {"op":"seal","secret","plaintext","aad"}                  -> {"ciphertext"} (a Ciphertext protobuf)
//   {"op":"open","secret","ciphertext","aad"}                 -> {"plaintext"}
//   {"op":"reencode","type","bytes"}                          -> {"bytes", "walletAddress"?, "preKeySigned"?}
//      type: Signature | UnsignedPublicKey | SignedPublicKey | SignedPublicKeyBundle | PublicKey |
//            PublicKeyBundle | PrivateKeyBundle | Ciphertext | Envelope | MessageV2 | SealedInvitation |
//            InvitationV1 | SignedContent | ContactBundle
//   {"op":"shared_secret","privateBundle","peerBundle","isRecipient"} -> {"secret"} (my first pre-key)
//   {"op":"invitation","privateBundle","peerBundle","conversationId"} ->
//   {"topic","keyMaterial","myAddress","peerAddress"}
//   {"op":"open_invitation","privateBundle","sealed"}         -> {"topic","keyMaterial","conversationId","createdNs"}
//   {"op":"create_invitation","privateBundle","peerBundle","conversationId","createdNs"} -> {"sealed","topic"}
//   {"op":"open_message_v2","keyMaterial","message"} -> {"payload","topic","createdNs","senderHmac"?,"bytes",
//        "signer"?,"content"?}   (signer and content when the payload is a SignedContent that verifies)
//   {"op":"seal_message_v2","keyMaterial","topic","createdNs","payload","period","senderAddress"} -> {"message"}
//   {"op":"sender_hmac","keyMaterial","period","address","header"} -> {"hmac"}
//   {"op":"identity_text","keyBytes"}                         -> {"text"}
// A keylink error answers {"error","category","code"}; a request this program cannot read answers
// {"peer_error"}. More ops are in xmtp_peer_identity.cc and xmtp_peer_messages.cc.
#include <exception>
#include <functional>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "xmtp_peer.h"

#include "keylink/base/encoding.h"
#include "keylink/base/rng.h"
#include "keylink/crypto/xmtp/ciphertext.h"
#include "keylink/crypto/xmtp/conversation_keys.h"
#include "keylink/wire/errors.h"
#include "keylink/wire/xmtp/ciphertext.h"
#include "keylink/wire/xmtp/contact.h"
#include "keylink/wire/xmtp/content.h"
#include "keylink/wire/xmtp/invitation.h"
#include "keylink/wire/xmtp/keys.h"
#include "keylink/wire/xmtp/message.h"
#include "keylink/wire/xmtp/network_envelope.h"
#include "keylink/wire/xmtp/private_keys.h"
#include "keylink/wire/xmtp/signatures.h"

namespace keylink::interop {

using namespace keylink;

json refused(const Error& error) {
  return {{"error", error.message}, {"category", error.code.category().name()}, {"code", error.code.value()}};
}

Bytes hex_field(const json& request, const char* field) {
  auto bytes = from_hex(request.at(field).get<std::string>());
  if (!bytes) throw std::invalid_argument(std::string(field) + ": " + bytes.error().message);
  return *bytes;
}

wx::PrivateKeyBundleV2 private_bundle(const json& request) {
  auto bundle = ok(wx::decode_private_key_bundle(hex_field(request, "privateBundle")));
  if (!std::holds_alternative<wx::PrivateKeyBundleV2>(bundle)) {
    throw Refused{Error{wire::make_error_code(wire::Errc::kBadVersion), "peer wants a V2 private bundle"}};
  }
  return std::move(std::get<wx::PrivateKeyBundleV2>(bundle));
}

std::string wallet_of(const wx::SignedPublicKey& identity) { return ok(wx::wallet_address(identity)).to_string(); }

}  // namespace keylink::interop

namespace {

using namespace keylink;
using namespace keylink::interop;

json seal(const json& request, Rng& rng) {
  const auto sealed =
      crypto::xmtp::seal(hex_field(request, "secret"), hex_field(request, "plaintext"), hex_field(request, "aad"), rng);
  return {{"ciphertext", to_hex(wx::encode(sealed))}};
}

json open(const json& request) {
  const auto ciphertext = ok(wx::decode_ciphertext(hex_field(request, "ciphertext")));
  return {{"plaintext",
           to_hex(ok(crypto::xmtp::open(hex_field(request, "secret"), ciphertext, hex_field(request, "aad"))))}};
}

template <class T>
json reencoded(Result<T> decoded) {
  return {{"bytes", to_hex(wx::encode(ok(std::move(decoded))))}};
}

json reencode(const json& request) {
  const auto type = request.at("type").get<std::string>();
  const Bytes bytes = hex_field(request, "bytes");
  if (type == "Signature") return reencoded(wx::decode_signature(bytes));
  if (type == "UnsignedPublicKey") return reencoded(wx::decode_unsigned_public_key(bytes));
  if (type == "SignedPublicKey") return reencoded(wx::decode_signed_public_key(bytes));
  if (type == "SignedPublicKeyBundle") {
    auto bundle = ok(wx::decode_signed_public_key_bundle(bytes));
    return {{"bytes", to_hex(wx::encode(bundle))},
            {"walletAddress", wallet_of(bundle.identity_key)},
            {"preKeySigned", static_cast<bool>(wx::verify_pre_key(bundle))}};
  }
  if (type == "PublicKey") return reencoded(wx::decode_public_key(bytes));
  if (type == "PublicKeyBundle") return reencoded(wx::decode_public_key_bundle(bytes));
  if (type == "PrivateKeyBundle") {
    auto bundle = ok(wx::decode_private_key_bundle(bytes));
    return {{"bytes", to_hex(std::visit([](const auto& b) { return wx::encode(b); }, bundle))}};
  }
  if (type == "Ciphertext") return reencoded(wx::decode_ciphertext(bytes));
  if (type == "Envelope") return reencoded(wx::decode_envelope(bytes));
  if (type == "MessageV2") return reencoded(wx::decode_message_v2(bytes));
  if (type == "SealedInvitation") return reencoded(wx::decode_sealed_invitation(bytes));
  if (type == "InvitationV1") return reencoded(wx::decode_invitation_v1(bytes));
  if (type == "ContactBundle") return reencoded(wx::decode_contact_bundle(bytes));
  if (type == "SignedContent") return reencoded(wx::decode_signed_content(bytes));
  throw std::invalid_argument("unknown type " + type);
}

json shared_secret(const json& request) {
  const auto mine = private_bundle(request);
  const auto peer = ok(wx::decode_signed_public_key_bundle(hex_field(request, "peerBundle")));
  const auto secret = ok(
      wx::shared_secret(mine, mine.pre_keys.front().secret.public_key(), peer, request.at("isRecipient").get<bool>()));
  return {{"secret", to_hex(secret.expose())}};
}

json invitation(const json& request) {
  const auto mine = private_bundle(request);
  const auto peer = ok(wx::decode_signed_public_key_bundle(hex_field(request, "peerBundle")));
  const std::string my_address = wallet_of(mine.identity_key.public_key);
  const std::string peer_address = wallet_of(peer.identity_key);
  const auto secret = ok(wx::shared_secret(mine, mine.pre_keys.front().secret.public_key(), peer,
                                           crypto::xmtp::invitation_is_recipient(my_address, peer_address)));
  const auto keys = crypto::xmtp::derive_invitation_keys(
      secret.expose(), request.at("conversationId").get<std::string>(), my_address, peer_address);
  return {{"topic", keys.topic},
          {"keyMaterial", to_hex(keys.key_material.expose())},
          {"myAddress", my_address},
          {"peerAddress", peer_address}};
}

// As xmtp-js SealedInvitationV1.getInvitation: the sender opens with the recipient's bundle, the
// recipient with the sender's.
json open_invitation(const json& request) {
  const auto mine = private_bundle(request);
  const auto sealed = ok(wx::decode_sealed_invitation(hex_field(request, "sealed")));
  const bool i_sent = sealed.header.sender.identity_key.key.key == mine.identity_key.secret.public_key();
  const auto& peer = i_sent ? sealed.header.recipient : sealed.header.sender;
  const auto& my_pre_key = i_sent ? sealed.header.sender.pre_key : sealed.header.recipient.pre_key;
  const auto secret = ok(wx::shared_secret(mine, my_pre_key.key.key, peer, !i_sent));
  const auto plaintext = ok(crypto::xmtp::open(secret.expose(), sealed.ciphertext, sealed.header_bytes));
  const auto invitation = ok(wx::decode_invitation_v1(plaintext));
  return {{"topic", invitation.topic},
          {"keyMaterial", to_hex(invitation.key_material.expose())},
          {"conversationId", invitation.conversation_id},
          {"createdNs", std::to_string(sealed.header.created_ns)}};
}

// As xmtp-js InMemoryKeystore.createInvite + SealedInvitation.createV1, from keylink's parts: the
// deterministic keys, the header as AAD, the 3DH secret on the sender's side.
json create_invitation(const json& request, Rng& rng) {
  const auto mine = private_bundle(request);
  auto peer = ok(wx::decode_signed_public_key_bundle(hex_field(request, "peerBundle")));
  const std::string my_address = wallet_of(mine.identity_key.public_key);
  const std::string peer_address = wallet_of(peer.identity_key);
  const auto& my_pre_key = mine.pre_keys.front().secret.public_key();
  const auto keys_secret =
      ok(wx::shared_secret(mine, my_pre_key, peer, crypto::xmtp::invitation_is_recipient(my_address, peer_address)));
  const auto conversation_id = request.at("conversationId").get<std::string>();
  auto keys = crypto::xmtp::derive_invitation_keys(keys_secret.expose(), conversation_id, my_address, peer_address);
  const wx::InvitationV1 invitation{keys.topic, conversation_id, {}, std::move(keys.key_material), std::nullopt};
  wx::SealedInvitationHeaderV1 header{wx::public_bundle(mine), std::move(peer),
                                      std::stoull(request.at("createdNs").get<std::string>())};
  const Bytes header_bytes = wx::encode(header);
  const auto seal_secret = ok(wx::shared_secret(mine, my_pre_key, header.recipient, false));
  auto ciphertext = crypto::xmtp::seal(seal_secret.expose(), wx::encode(invitation), header_bytes, rng);
  const wx::SealedInvitation sealed{header_bytes, std::move(header), std::move(ciphertext)};
  return {{"sealed", to_hex(wx::encode(sealed))}, {"topic", invitation.topic}};
}

json open_message_v2(const json& request) {
  const Secret<32> key(hex_field(request, "keyMaterial"));
  const auto message = ok(wx::decode_message_v2(hex_field(request, "message")));
  const auto payload = ok(crypto::xmtp::open(key.expose(), message.ciphertext, message.header_bytes));
  json answer = {{"payload", to_hex(payload)},
                 {"topic", message.header.topic},
                 {"createdNs", std::to_string(message.header.created_ns)},
                 {"bytes", to_hex(wx::encode(message))}};
  if (message.sender_hmac) answer["senderHmac"] = to_hex(*message.sender_hmac);
  auto signed_content = wx::decode_signed_content(payload);
  if (signed_content && wx::verify_signed_content(*signed_content, message.header_bytes)) {
    answer["signer"] = wallet_of(signed_content->sender.identity_key);
    answer["content"] = to_hex(wx::encode(ok(wx::decode_encoded_content(signed_content->payload))));
  }
  return answer;
}

json seal_message_v2(const json& request, Rng& rng) {
  const Secret<32> key(hex_field(request, "keyMaterial"));
  const wx::MessageHeaderV2 header{std::stoull(request.at("createdNs").get<std::string>()),
                                   request.at("topic").get<std::string>()};
  const Bytes header_bytes = wx::encode(header);
  auto ciphertext = crypto::xmtp::seal(key.expose(), hex_field(request, "payload"), header_bytes, rng);
  const auto hmac = crypto::xmtp::sender_hmac(key, request.at("period").get<std::int64_t>(),
                                              request.at("senderAddress").get<std::string>(), header_bytes);
  const wx::MessageV2 message{header_bytes, header, std::move(ciphertext), Bytes(hmac.begin(), hmac.end()), true};
  return {{"message", to_hex(wx::encode(message))}};
}

json sender_hmac(const json& request) {
  const Secret<32> key(hex_field(request, "keyMaterial"));
  const auto hmac = crypto::xmtp::sender_hmac(key, request.at("period").get<std::int64_t>(),
                                              request.at("address").get<std::string>(), hex_field(request, "header"));
  return {{"hmac", to_hex(hmac)}};
}

Ops all_ops() {
  Ops ops = {
      {"seal", seal},
      {"open", [](const json& request, Rng&) { return open(request); }},
      {"reencode", [](const json& request, Rng&) { return reencode(request); }},
      {"shared_secret", [](const json& request, Rng&) { return shared_secret(request); }},
      {"invitation", [](const json& request, Rng&) { return invitation(request); }},
      {"open_invitation", [](const json& request, Rng&) { return open_invitation(request); }},
      {"create_invitation", create_invitation},
      {"open_message_v2", [](const json& request, Rng&) { return open_message_v2(request); }},
      {"seal_message_v2", seal_message_v2},
      {"sender_hmac", [](const json& request, Rng&) { return sender_hmac(request); }},
      {"identity_text",
       [](const json& request, Rng&) -> json {
         return {{"text", crypto::xmtp::create_identity_text(hex_field(request, "keyBytes"))}};
       }},
  };
  add_identity_ops(ops);
  add_message_ops(ops);
  return ops;
}

json answer(const Ops& ops, const json& request, Rng& rng) {
  const auto op = request.at("op").get<std::string>();
  const auto found = ops.find(op);
  if (found == ops.end()) throw std::invalid_argument("unknown op " + op);
  return found->second(request, rng);
}

}  // namespace

int main() {
  SystemRng rng;
  const Ops ops = all_ops();
  std::string line;
  while (std::getline(std::cin, line)) {
    json reply;
    try {
      reply = answer(ops, json::parse(line), rng);
    } catch (const Refused& refusal) {
      reply = refused(refusal.error);
    } catch (const std::exception& e) {
      reply = {{"peer_error", e.what()}};
    }
    std::cout << reply.dump(-1, ' ', false, json::error_handler_t::replace) << '\n' << std::flush;
  }
  return 0;
}
