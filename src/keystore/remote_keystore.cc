#include "keylink/keystore/remote_keystore.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <utility>

#include "keylink/crypto/hash.h"
#include "keylink/identity/keystore_errors.h"
#include "keylink/identity/xmtp_identity.h"
#include "keylink/keystore/rpc.h"
#include "keylink/wire/errors.h"
#include "keylink/wire/xmtp/authn.h"
#include "keylink/wire/xmtp/content.h"
#include "keylink/wire/xmtp/message.h"
#include "rpc_convert.h"

namespace keylink::keystore {
namespace {

namespace wx = wire::xmtp;
using identity::KeystoreErrc;

// A list the wallet answers (its conversations) is bounded by the answer's size alone.
constexpr std::size_t kAnyCount = std::numeric_limits<std::size_t>::max();

Error wallet_answer(const Error& error) { return context("the wallet's answer", error); }

// One method's batches: `items` sent kMaxBatch at a time, each chunk one call, halved until its request
// fits the transport's (a relay message has a limit). encode(chunk) gives the request; decode(bytes,
// count) the slots of the answer; give(request, slot value) the result.
template <class Out, class Item, class Encode, class Decode, class Give>
std::vector<Result<Out>> call_batches(KeystoreTransport& transport, std::string_view method,
                                      std::span<const Item> items, Encode&& encode, Decode&& decode, Give&& give,
                                      KeystoreErrc no_key) {
  std::vector<Result<Out>> out;
  out.reserve(items.size());
  std::function<void(std::span<const Item>)> send = [&](std::span<const Item> chunk) {
    const Bytes request = encode(chunk);
    if (request.size() > transport.max_request_bytes() && chunk.size() > 1) {
      send(chunk.first(chunk.size() / 2));
      send(chunk.subspan(chunk.size() / 2));
      return;
    }
    auto all_fail = [&](const Error& error) {
      for (std::size_t i = 0; i < chunk.size(); ++i) out.push_back(fail(error));
    };
    auto answer = transport.call(method, request);
    if (!answer) return all_fail(answer.error());
    auto slots = decode(*answer, chunk.size());
    if (!slots) return all_fail(wallet_answer(slots.error()));
    if (slots->size() != chunk.size()) {
      return all_fail(wallet_answer({make_error_code(wire::Errc::kMalformed),
                                     std::to_string(slots->size()) + " results for " + std::to_string(chunk.size()) +
                                         " items"}));
    }
    for (std::size_t i = 0; i < chunk.size(); ++i) {
      auto& slot = (*slots)[i];
      if (slot) {
        out.push_back(give(chunk[i], std::move(*slot)));
      } else {
        out.push_back(fail(from_keystore_error(slot.error(), no_key)));
      }
    }
  };
  for (std::size_t start = 0; start < items.size(); start += kMaxBatch) {
    send(items.subspan(start, std::min(kMaxBatch, items.size() - start)));
  }
  return out;
}

template <class Item, class Convert>
auto converted(std::span<const Item> items, Convert&& convert) {
  std::vector<decltype(convert(items.front()))> out;
  out.reserve(items.size());
  for (const auto& item : items) out.push_back(convert(item));
  return out;
}

// Bytes out as they came in (decrypt, self encrypt, self decrypt).
Result<Bytes> same_bytes(const auto&, Bytes bytes) { return bytes; }

template <class T>
Result<T> decoded(Result<T> value) {
  if (!value) return fail(wallet_answer(value.error()));
  return value;
}

}  // namespace

Result<std::unique_ptr<RemoteKeystore>> RemoteKeystore::connect(std::unique_ptr<KeystoreTransport> transport) {
  auto answer = transport->call("xmtp_getPublicKeyBundle", {});
  if (!answer) return fail(answer.error());
  auto legacy = decoded(wx::decode_public_key_bundle(*answer));
  if (!legacy) return fail(legacy.error());
  auto wallet = identity::verify_public_bundle(*legacy);
  if (!wallet) return fail(context("the wallet's public bundle", wallet.error()));
  auto bundle = identity::signed_bundle_from_legacy(*legacy);
  if (!bundle) return fail(context("the wallet's public bundle", bundle.error()));
  return std::unique_ptr<RemoteKeystore>(
      new RemoteKeystore(std::move(transport), wallet->to_string(), std::move(*legacy), std::move(*bundle)));
}

RemoteKeystore::RemoteKeystore(std::unique_ptr<KeystoreTransport> transport, std::string address,
                               wx::PublicKeyBundle legacy, wx::SignedPublicKeyBundle bundle)
    : transport_(std::move(transport)),
      address_(std::move(address)),
      legacy_(std::move(legacy)),
      bundle_(std::move(bundle)) {}

std::string RemoteKeystore::account_address() const { return address_; }
wx::SignedPublicKeyBundle RemoteKeystore::public_key_bundle() const { return bundle_; }
wx::PublicKeyBundle RemoteKeystore::legacy_public_key_bundle() const { return legacy_; }

std::vector<Result<Bytes>> RemoteKeystore::decrypt_v1(std::span<const identity::DecryptV1Request> requests) {
  auto encode = [this](std::span<const identity::DecryptV1Request> chunk) {
    return kapi::encode_decrypt_v1_request(converted(chunk, [this](const identity::DecryptV1Request& request) {
      const auto& header = request.message.header;
      const bool is_sender = wx::encode(header.sender.identity_key) == wx::encode(legacy_.identity_key);
      return kapi::DecryptV1Item{request.message.ciphertext, is_sender ? header.recipient : header.sender,
                                 request.message.header_bytes, is_sender};
    }));
  };
  return call_batches<Bytes>(*transport_, "xmtp_decryptV1", requests, encode, kapi::decode_decrypt_response,
                             same_bytes<identity::DecryptV1Request>, KeystoreErrc::kNotForMe);
}

std::vector<Result<wx::MessageV1>> RemoteKeystore::encrypt_v1(std::span<const identity::EncryptV1Request> requests) {
  // The header this keystore writes (the wallet checks the app's is that one): my bundle, theirs, the time.
  auto header_of = [this](const identity::EncryptV1Request& request) {
    return wx::MessageHeaderV1{legacy_, request.recipient, request.timestamp_ms};
  };
  auto encode = [&](std::span<const identity::EncryptV1Request> chunk) {
    return kapi::encode_encrypt_v1_request(converted(chunk, [&](const identity::EncryptV1Request& request) {
      return kapi::EncryptV1Item{request.recipient, request.payload, wx::encode(header_of(request))};
    }));
  };
  auto give = [&](const identity::EncryptV1Request& request, kapi::Encrypted sealed) -> Result<wx::MessageV1> {
    auto header = header_of(request);
    Bytes header_bytes = wx::encode(header);
    return wx::MessageV1{std::move(header_bytes), std::move(header), std::move(sealed.encrypted)};
  };
  return call_batches<wx::MessageV1>(*transport_, "xmtp_encryptV1", requests, encode, kapi::decode_encrypt_response,
                                     give, KeystoreErrc::kNotForMe);
}

std::vector<Result<Bytes>> RemoteKeystore::decrypt_v2(std::span<const identity::DecryptV2Request> requests) {
  auto encode = [](std::span<const identity::DecryptV2Request> chunk) {
    return kapi::encode_decrypt_v2_request(converted(chunk, [](const identity::DecryptV2Request& request) {
      return kapi::DecryptV2Item{request.ciphertext, request.header_bytes, request.content_topic};
    }));
  };
  return call_batches<Bytes>(*transport_, "xmtp_decryptV2", requests, encode, kapi::decode_decrypt_response,
                             same_bytes<identity::DecryptV2Request>, KeystoreErrc::kUnknownConversation);
}

// As xmtp-js: each content signed first (signDigest with pre-key 0, over sha256(header ‖ content)), then
// the SignedContents encrypted in one batch. An item whose signature was refused is sent unsigned and
// refused by the wallet in its own slot.
std::vector<Result<identity::EncryptedV2>> RemoteKeystore::encrypt_v2(
    std::span<const identity::EncryptV2Request> requests) {
  auto encode = [this](std::span<const identity::EncryptV2Request> chunk) {
    return kapi::encode_encrypt_v2_request(converted(chunk, [this](const identity::EncryptV2Request& request) {
      const auto digest = crypto::sha256({request.header_bytes, request.content});
      wx::SignedContent signed_content{request.content, bundle_, {}};
      if (auto signature = sign_digest(digest, 0)) signed_content.signature = std::move(*signature);
      return kapi::EncryptV2Item{wx::encode(signed_content), request.header_bytes, request.content_topic};
    }));
  };
  auto give = [](const identity::EncryptV2Request&, kapi::Encrypted sealed) -> Result<identity::EncryptedV2> {
    return identity::EncryptedV2{std::move(sealed.encrypted), std::move(sealed.sender_hmac)};
  };
  return call_batches<identity::EncryptedV2>(*transport_, "xmtp_encryptV2", requests, encode,
                                             kapi::decode_encrypt_response, give, KeystoreErrc::kUnknownConversation);
}

std::vector<Result<identity::ConversationReference>> RemoteKeystore::save_invites(
    std::span<const identity::SaveInviteRequest> requests) {
  auto encode = [](std::span<const identity::SaveInviteRequest> chunk) {
    return kapi::encode_save_invites_request(converted(chunk, [](const identity::SaveInviteRequest& request) {
      return kapi::SaveInviteItem{request.content_topic, request.timestamp_ns, request.sealed_invitation};
    }));
  };
  auto give = [](const identity::SaveInviteRequest&,
                 kapi::ConversationReference reference) -> Result<identity::ConversationReference> {
    return to_identity(std::move(reference));
  };
  return call_batches<identity::ConversationReference>(*transport_, "xmtp_saveInvites", requests, encode,
                                                       kapi::decode_save_invites_response, give,
                                                       KeystoreErrc::kNotForMe);
}

Result<identity::CreatedInvite> RemoteKeystore::create_invite(const identity::CreateInviteRequest& request) {
  auto answer = transport_->call(
      "xmtp_createInvite", kapi::encode_create_invite_request(
                               {request.conversation_id, request.metadata, request.recipient, request.created_ns}));
  if (!answer) return fail(answer.error());
  auto created = decoded(kapi::decode_create_invite_response(*answer));
  if (!created) return fail(created.error());
  return identity::CreatedInvite{std::move(created->payload), to_identity(std::move(created->conversation))};
}

Result<void> RemoteKeystore::save_v1_conversations(std::span<const identity::ConversationReference> conversations) {
  for (std::size_t start = 0; start < conversations.size(); start += kMaxBatch) {
    const auto chunk = conversations.subspan(start, std::min(kMaxBatch, conversations.size() - start));
    auto answer = transport_->call("xmtp_saveV1Conversations",
                                   kapi::encode_save_v1_conversations_request(converted(chunk, to_wire)));
    if (!answer) return fail(answer.error());
    if (auto empty = decoded(kapi::decode_empty_response(*answer)); !empty) return empty;
  }
  return {};
}

namespace {

Result<std::vector<identity::ConversationReference>> conversation_list(KeystoreTransport& transport,
                                                                       std::string_view method) {
  auto answer = transport.call(method, {});
  if (!answer) return fail(answer.error());
  auto list = decoded(kapi::decode_get_conversations_response(*answer, kAnyCount));
  if (!list) return fail(list.error());
  std::vector<identity::ConversationReference> out;
  out.reserve(list->size());
  for (auto& reference : *list) out.push_back(to_identity(std::move(reference)));
  return out;
}

}  // namespace

Result<std::vector<identity::ConversationReference>> RemoteKeystore::v1_conversations() {
  return conversation_list(*transport_, "xmtp_getV1Conversations");
}

Result<std::vector<identity::ConversationReference>> RemoteKeystore::v2_conversations() {
  return conversation_list(*transport_, "xmtp_getV2Conversations");
}

std::vector<Result<Bytes>> RemoteKeystore::self_encrypt(std::span<const Bytes> payloads) {
  return call_batches<Bytes>(*transport_, "xmtp_selfEncrypt", payloads, kapi::encode_self_encrypt_request,
                             kapi::decode_self_encrypt_response, same_bytes<Bytes>, KeystoreErrc::kRefused);
}

std::vector<Result<Bytes>> RemoteKeystore::self_decrypt(std::span<const Bytes> payloads) {
  return call_batches<Bytes>(*transport_, "xmtp_selfDecrypt", payloads, kapi::encode_self_decrypt_request,
                             kapi::decode_decrypt_response, same_bytes<Bytes>, KeystoreErrc::kRefused);
}

Result<std::string> RemoteKeystore::private_preferences_topic_identifier() {
  auto answer = transport_->call("xmtp_getPrivatePreferencesTopicIdentifier", {});
  if (!answer) return fail(answer.error());
  return decoded(kapi::decode_get_private_preferences_topic_identifier_response(*answer));
}

Result<std::map<std::string, std::vector<identity::HmacKey>>> RemoteKeystore::v2_conversation_hmac_keys(
    std::span<const std::string> topics, std::int64_t) {
  std::map<std::string, std::vector<identity::HmacKey>> out;
  for (std::size_t start = 0; start < topics.size(); start += kMaxBatch) {
    const auto chunk = topics.subspan(start, std::min(kMaxBatch, topics.size() - start));
    auto answer =
        transport_->call("xmtp_getV2ConversationHmacKeys", kapi::encode_get_conversation_hmac_keys_request(chunk));
    if (!answer) return fail(answer.error());
    auto keys = decoded(kapi::decode_get_conversation_hmac_keys_response(*answer, chunk.size()));
    if (!keys) return fail(keys.error());
    for (auto& [topic, values] : *keys) {
      auto& mine = out[topic];
      for (auto& value : values) mine.push_back({value.thirty_day_periods_since_epoch, std::move(value.hmac_key)});
    }
  }
  return out;
}

Result<wx::Signature> RemoteKeystore::sign_digest(ByteView digest, std::uint32_t pre_key_index) {
  if (digest.size() != 32) {
    return fail(Errc::kWrongLength, "digest: expected 32 bytes, got " + std::to_string(digest.size()));
  }
  auto answer = transport_->call(
      "xmtp_signDigest",
      kapi::encode_sign_digest_request({Bytes(digest.begin(), digest.end()), std::nullopt, pre_key_index}));
  if (!answer) return fail(answer.error());
  return decoded(wx::decode_signature(*answer));
}

Result<Bytes> RemoteKeystore::create_auth_token(std::uint64_t timestamp_ns) {
  auto answer = transport_->call("xmtp_createAuthToken", kapi::encode_create_auth_token_request(timestamp_ns));
  if (!answer) return fail(answer.error());
  if (auto token = decoded(wx::decode_auth_token(*answer)); !token) return fail(token.error());
  return answer;
}

Result<std::int64_t> RemoteKeystore::refresh_job(identity::RefreshJob kind) {
  auto answer = transport_->call("xmtp_getRefreshJob", kapi::encode_get_refresh_job_request(job_type_of(kind)));
  if (!answer) return fail(answer.error());
  return decoded(kapi::decode_get_refresh_job_response(*answer));
}

Result<void> RemoteKeystore::set_refresh_job(identity::RefreshJob kind, std::int64_t last_run_ns) {
  auto answer =
      transport_->call("xmtp_setRefreshJob", kapi::encode_set_refresh_job_request({job_type_of(kind), last_run_ns}));
  if (!answer) return fail(answer.error());
  return decoded(kapi::decode_empty_response(*answer));
}

}  // namespace keylink::keystore
