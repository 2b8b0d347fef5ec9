#include "keylink/keystore/service.h"

#include <algorithm>
#include <array>
#include <set>
#include <cctype>
#include <utility>

#include "keylink/base/check.h"
#include "keylink/identity/keystore_errors.h"
#include "keylink/store/errors.h"
#include "keylink/wire/errors.h"
#include "keylink/wire/xmtp/content.h"
#include "keylink/wire/xmtp/message.h"
#include "never_allowed.h"
#include "rpc_convert.h"

namespace keylink::keystore {
namespace {

namespace wx = wire::xmtp;
template <class T>
using Outcome = kapi::Outcome<T>;

struct Context {
  identity::Keystore& keystore;
  const Clock& clock;
};

ServiceReply refuse(std::int64_t code, std::string message) {
  return {tl::unexpected(wire::RpcError{code, std::move(message), nullptr}), 1, {}};
}

ServiceReply answer(Bytes response, std::size_t items = 1, std::vector<std::string> topics = {}) {
  return {std::move(response), items, std::move(topics)};
}

// A request that does not decode: too many items, or not its protobuf.
ServiceReply refuse_request(const Error& error) {
  if (error.code == wire::Errc::kTooLarge) {
    return refuse(codes::kBatchTooLarge, error.message + " (a batch holds at most " + std::to_string(kMaxBatch) + ")");
  }
  return refuse(codes::kInvalidParams, "req: " + error.message);
}

// A single (not batch) request the keystore failed: its input, or the wallet's own storage.
ServiceReply refuse_failure(const Error& error) {
  if (error.code.category() == store::store_category()) return refuse(wire::kRpcInternalError, error.message);
  return refuse(codes::kInvalidParams, error.message);
}

template <class T>
Outcome<T> slot_error(const Error& error) {
  return tl::unexpected(to_keystore_error(error));
}

// One batch: the items that check out (convert) go to the keystore in one call, in order; each other
// item keeps its error in its slot. give() turns the keystore's answer into the response's.
template <class Out, class Request, class Item, class Convert, class Call, class Give>
std::vector<Outcome<Out>> run_batch(const kapi::DecodedBatch<Item>& items, Convert&& convert, Call&& call,
                                    Give&& give) {
  std::vector<Outcome<Out>> out;
  out.reserve(items.size());
  std::vector<Request> requests;
  std::vector<std::size_t> slots;
  for (std::size_t i = 0; i < items.size(); ++i) {
    Result<Request> request = items[i] ? convert(*items[i]) : Result<Request>(fail(items[i].error()));
    if (request) {
      slots.push_back(i);
      requests.push_back(std::move(*request));
      out.emplace_back(tl::unexpect, kapi::KeystoreError{});  // filled below
    } else {
      out.push_back(slot_error<Out>(request.error()));
    }
  }
  auto results = call(std::span<const Request>(requests));
  KEYLINK_CHECK(results.size() == requests.size());
  for (std::size_t j = 0; j < results.size(); ++j) {
    out[slots[j]] = results[j] ? Outcome<Out>(give(std::move(*results[j]))) : slot_error<Out>(results[j].error());
  }
  return out;
}

template <class Item, class Topic>
std::vector<std::string> topics_of(const kapi::DecodedBatch<Item>& items, Topic&& topic) {
  std::set<std::string> named;  // a page of one conversation names its topic once
  for (const auto& item : items) {
    if (item) named.insert(topic(*item));
  }
  return {named.begin(), named.end()};
}

Bytes pass(Bytes bytes) { return bytes; }

ServiceReply decrypt_v1(Context& c, ByteView req) {
  auto items = kapi::decode_decrypt_v1_request(req, kMaxBatch);
  if (!items) return refuse_request(items.error());
  auto convert = [](const kapi::DecryptV1Item& item) -> Result<identity::DecryptV1Request> {
    auto header = wx::decode_message_header_v1(item.header_bytes);
    if (!header) return fail(context("header_bytes", header.error()));
    return identity::DecryptV1Request{wx::MessageV1{item.header_bytes, std::move(*header), item.payload}};
  };
  auto out = run_batch<Bytes, identity::DecryptV1Request>(
      *items, convert, [&](auto requests) { return c.keystore.decrypt_v1(requests); }, pass);
  return answer(kapi::encode_decrypt_response(out), items->size());
}

ServiceReply decrypt_v2(Context& c, ByteView req) {
  auto items = kapi::decode_decrypt_v2_request(req, kMaxBatch);
  if (!items) return refuse_request(items.error());
  auto convert = [](const kapi::DecryptV2Item& item) -> Result<identity::DecryptV2Request> {
    return identity::DecryptV2Request{item.payload, item.header_bytes, item.content_topic};
  };
  auto out = run_batch<Bytes, identity::DecryptV2Request>(
      *items, convert, [&](auto requests) { return c.keystore.decrypt_v2(requests); }, pass);
  return answer(kapi::encode_decrypt_response(out), items->size(),
                topics_of(*items, [](const kapi::DecryptV2Item& item) { return item.content_topic; }));
}

ServiceReply encrypt_v1(Context& c, ByteView req) {
  auto items = kapi::decode_encrypt_v1_request(req, kMaxBatch);
  if (!items) return refuse_request(items.error());
  const auto mine = c.keystore.legacy_public_key_bundle();
  auto convert = [&](const kapi::EncryptV1Item& item) -> Result<identity::EncryptV1Request> {
    auto header = wx::decode_message_header_v1(item.header_bytes);
    if (!header) return fail(context("header_bytes", header.error()));
    // The keystore writes the header it encrypts under; the app's must be that one, byte for byte.
    if (wx::encode(wx::MessageHeaderV1{mine, item.recipient, header->timestamp}) != item.header_bytes) {
      return fail(identity::KeystoreErrc::kBadHeader,
                  "header_bytes: not this keystore's bundle to the recipient (sender, recipient, timestamp)");
    }
    return identity::EncryptV1Request{item.recipient, item.payload, header->timestamp};
  };
  auto out = run_batch<kapi::Encrypted, identity::EncryptV1Request>(
      *items, convert, [&](auto requests) { return c.keystore.encrypt_v1(requests); },
      [](wx::MessageV1 message) {
        return kapi::Encrypted{std::move(message.ciphertext), {}};
      });
  return answer(kapi::encode_encrypt_response(out), items->size());
}

// xmtp's encryptV2 takes the SignedContent the app made with signDigest. The wallet encrypts only what
// it signs itself: it keeps the content (the SignedContent's payload) and signs it again (the same
// signature signDigest gave: RFC 6979), under its own bundle, whatever signature and sender were sent.
ServiceReply encrypt_v2(Context& c, ByteView req) {
  auto items = kapi::decode_encrypt_v2_request(req, kMaxBatch);
  if (!items) return refuse_request(items.error());
  auto convert = [](const kapi::EncryptV2Item& item) -> Result<identity::EncryptV2Request> {
    auto signed_content = wx::decode_signed_content(item.payload);
    if (!signed_content) return tl::unexpected(context("encryptV2 payload is not a SignedContent", signed_content.error()));
    return identity::EncryptV2Request{std::move(signed_content->payload), item.header_bytes, item.content_topic};
  };
  auto out = run_batch<kapi::Encrypted, identity::EncryptV2Request>(
      *items, convert, [&](auto requests) { return c.keystore.encrypt_v2(requests); },
      [](identity::EncryptedV2 sealed) {
        return kapi::Encrypted{std::move(sealed.ciphertext), std::move(sealed.sender_hmac)};
      });
  return answer(kapi::encode_encrypt_response(out), items->size(),
                topics_of(*items, [](const kapi::EncryptV2Item& item) { return item.content_topic; }));
}

ServiceReply save_invites(Context& c, ByteView req) {
  auto items = kapi::decode_save_invites_request(req, kMaxBatch);
  if (!items) return refuse_request(items.error());
  auto convert = [](const kapi::SaveInviteItem& item) -> Result<identity::SaveInviteRequest> {
    return identity::SaveInviteRequest{item.content_topic, item.timestamp_ns, item.payload};
  };
  auto out = run_batch<kapi::ConversationReference, identity::SaveInviteRequest>(
      *items, convert, [&](auto requests) { return c.keystore.save_invites(requests); },
      [](const identity::ConversationReference& reference) { return to_wire(reference); });
  std::vector<std::string> topics;
  for (const auto& saved : out) {
    if (saved) topics.push_back(saved->topic);
  }
  return answer(kapi::encode_save_invites_response(out), items->size(), std::move(topics));
}

ServiceReply create_invite(Context& c, ByteView req) {
  auto request = kapi::decode_create_invite_request(req);
  if (!request) return refuse_request(request.error());
  auto created = c.keystore.create_invite({std::move(request->recipient), std::move(request->conversation_id),
                                           std::move(request->metadata), request->created_ns});
  if (!created) return refuse_failure(created.error());
  std::string topic = created->conversation.topic;
  return answer(
      kapi::encode_create_invite_response({to_wire(created->conversation), std::move(created->sealed_invitation)}), 1,
      {std::move(topic)});
}

ServiceReply create_auth_token(Context& c, ByteView req) {
  auto timestamp = kapi::decode_create_auth_token_request(req);
  if (!timestamp) return refuse_request(timestamp.error());
  const auto now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(c.clock.now().time_since_epoch()).count();
  const std::uint64_t now = static_cast<std::uint64_t>(std::max<std::int64_t>(now_ns, 0));
  const std::uint64_t at = timestamp->value_or(now);
  const std::uint64_t skew = at > now ? at - now : now - at;
  if (skew > static_cast<std::uint64_t>(std::chrono::nanoseconds(kAuthTokenSkew).count())) {
    return refuse(codes::kRefusedByPolicy, "never: an auth token dated more than 5 minutes from the wallet's clock");
  }
  auto token = c.keystore.create_auth_token(at);
  if (!token) return refuse_failure(token.error());
  return answer(std::move(*token));
}

ServiceReply sign_digest(Context& c, ByteView req) {
  auto request = kapi::decode_sign_digest_request(req);
  if (!request) return refuse_request(request.error());
  if (request->identity_key.value_or(false)) {
    return refuse(codes::kRefusedByPolicy,
                  "never: the identity key signs no digest for an app; pre-keys only (prekey_index)");
  }
  if (!request->prekey_index) return refuse(codes::kInvalidParams, "req: SignDigestRequest names no prekey_index");
  auto signature = c.keystore.sign_digest(request->digest, *request->prekey_index);
  if (!signature) return refuse_failure(signature.error());
  return answer(wx::encode(*signature));
}

ServiceReply get_public_key_bundle(Context& c, ByteView) {
  return answer(wx::encode(c.keystore.legacy_public_key_bundle()));
}

ServiceReply conversations(const Result<std::vector<identity::ConversationReference>>& list) {
  if (!list) return refuse_failure(list.error());
  std::vector<kapi::ConversationReference> out;
  out.reserve(list->size());
  for (const auto& reference : *list) out.push_back(to_wire(reference));
  return answer(kapi::encode_get_conversations_response(out));
}

ServiceReply get_v1_conversations(Context& c, ByteView) { return conversations(c.keystore.v1_conversations()); }
ServiceReply get_v2_conversations(Context& c, ByteView) { return conversations(c.keystore.v2_conversations()); }

ServiceReply save_v1_conversations(Context& c, ByteView req) {
  auto decoded = kapi::decode_save_v1_conversations_request(req, kMaxBatch);
  if (!decoded) return refuse_request(decoded.error());
  std::vector<identity::ConversationReference> references;
  references.reserve(decoded->size());
  for (auto& reference : *decoded) references.push_back(to_identity(std::move(reference)));
  if (auto saved = c.keystore.save_v1_conversations(references); !saved) return refuse_failure(saved.error());
  std::vector<std::string> topics;
  for (const auto& reference : references) topics.push_back(reference.topic);
  return answer({}, references.size(), std::move(topics));
}

// selfEncrypt and selfDecrypt: payloads in, payloads out.
template <class Call>
std::vector<Outcome<Bytes>> run_payloads(const kapi::DecodedBatch<Bytes>& items, Call&& call) {
  return run_batch<Bytes, Bytes>(
      items, [](const Bytes& payload) -> Result<Bytes> { return payload; }, call, pass);
}

ServiceReply self_encrypt(Context& c, ByteView req) {
  auto items = kapi::decode_self_encrypt_request(req, kMaxBatch);
  if (!items) return refuse_request(items.error());
  auto out = run_payloads(*items, [&](auto payloads) { return c.keystore.self_encrypt(payloads); });
  return answer(kapi::encode_self_encrypt_response(out), items->size());
}

ServiceReply self_decrypt(Context& c, ByteView req) {
  auto items = kapi::decode_self_decrypt_request(req, kMaxBatch);
  if (!items) return refuse_request(items.error());
  auto out = run_payloads(*items, [&](auto payloads) { return c.keystore.self_decrypt(payloads); });
  return answer(kapi::encode_decrypt_response(out), items->size());
}

ServiceReply get_private_preferences_topic_identifier(Context& c, ByteView) {
  auto identifier = c.keystore.private_preferences_topic_identifier();
  if (!identifier) return refuse_failure(identifier.error());
  return answer(kapi::encode_get_private_preferences_topic_identifier_response(*identifier));
}

ServiceReply get_v2_conversation_hmac_keys(Context& c, ByteView req) {
  auto topics = kapi::decode_get_conversation_hmac_keys_request(req, kMaxBatch);
  if (!topics) return refuse_request(topics.error());
  auto keys = c.keystore.v2_conversation_hmac_keys(*topics, c.clock.unix_seconds());
  if (!keys) return refuse_failure(keys.error());
  kapi::HmacKeys out;
  for (auto& [topic, values] : *keys) {
    auto& mine = out[topic];
    for (auto& value : values) {
      // A 30-day period fits an int32 until the year 178 million.
      mine.push_back({static_cast<std::int32_t>(value.thirty_day_period), std::move(value.key)});
    }
  }
  const std::size_t count = topics->size();
  return answer(kapi::encode_get_conversation_hmac_keys_response(out), count, std::move(*topics));
}

Result<identity::RefreshJob> job_of(kapi::JobType type) {
  auto kind = refresh_job_of(type);
  if (!kind) return fail(wire::Errc::kMalformed, "job_type: unspecified");
  return *kind;
}

ServiceReply get_refresh_job(Context& c, ByteView req) {
  auto type = kapi::decode_get_refresh_job_request(req);
  if (!type) return refuse_request(type.error());
  auto kind = job_of(*type);
  if (!kind) return refuse_request(kind.error());
  auto last_run = c.keystore.refresh_job(*kind);
  if (!last_run) return refuse_failure(last_run.error());
  return answer(kapi::encode_get_refresh_job_response(*last_run));
}

ServiceReply set_refresh_job(Context& c, ByteView req) {
  auto request = kapi::decode_set_refresh_job_request(req);
  if (!request) return refuse_request(request.error());
  auto kind = job_of(request->job_type);
  if (!kind) return refuse_request(kind.error());
  if (auto set = c.keystore.set_refresh_job(*kind, request->last_run_ns); !set) return refuse_failure(set.error());
  return answer({});
}

bool same_address(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

ServiceReply get_keystore_status(Context& c, ByteView req) {
  auto wallet = kapi::decode_get_keystore_status_request(req);
  if (!wallet) return refuse_request(wallet.error());
  const bool mine = same_address(*wallet, c.keystore.account_address());
  return answer(kapi::encode_get_keystore_status_response(mine ? kapi::KeystoreStatus::kInitialized
                                                               : kapi::KeystoreStatus::kUninitialized));
}

using Handler = ServiceReply (*)(Context&, ByteView);

// The methods of rpc.h's table (docs/keystore.md), each with its handler.
constexpr std::array<std::pair<std::string_view, Handler>, 19> kHandlers = {{
    {"xmtp_decryptV1", decrypt_v1},
    {"xmtp_decryptV2", decrypt_v2},
    {"xmtp_encryptV1", encrypt_v1},
    {"xmtp_encryptV2", encrypt_v2},
    {"xmtp_saveInvites", save_invites},
    {"xmtp_createInvite", create_invite},
    {"xmtp_createAuthToken", create_auth_token},
    {"xmtp_signDigest", sign_digest},
    {"xmtp_getPublicKeyBundle", get_public_key_bundle},
    {"xmtp_getV1Conversations", get_v1_conversations},
    {"xmtp_getV2Conversations", get_v2_conversations},
    {"xmtp_saveV1Conversations", save_v1_conversations},
    {"xmtp_selfEncrypt", self_encrypt},
    {"xmtp_selfDecrypt", self_decrypt},
    {"xmtp_getPrivatePreferencesTopicIdentifier", get_private_preferences_topic_identifier},
    {"xmtp_getV2ConversationHmacKeys", get_v2_conversation_hmac_keys},
    {"xmtp_getRefreshJob", get_refresh_job},
    {"xmtp_setRefreshJob", set_refresh_job},
    {"xmtp_getKeystoreStatus", get_keystore_status},
}};

}  // namespace

ServiceReply KeystoreService::handle(std::string_view method, ByteView req) {
  const auto found = std::find_if(kHandlers.begin(), kHandlers.end(), [&](const auto& h) { return h.first == method; });
  if (found == kHandlers.end()) return refuse(codes::kNotGranted, detail::why_not_a_method(method));
  Context context{keystore_, clock_};
  return found->second(context, req);
}

KeystoreHandler KeystoreService::handler() {
  return [this](std::string_view method, ByteView req) { return handle(method, req); };
}

}  // namespace keylink::keystore
