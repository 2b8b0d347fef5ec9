#include "keylink/messaging/message.h"

#include <limits>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "keylink/base/encoding.h"
#include "keylink/crypto/hash.h"
#include "keylink/identity/keystore_errors.h"
#include "keylink/identity/xmtp_identity.h"
#include "keylink/wire/errors.h"
#include "keylink/wire/xmtp/message.h"
#include "keylink/wire/xmtp/signatures.h"
#include "keylink/wire/xmtp/topics.h"

namespace keylink::messaging {
namespace {

namespace wx = wire::xmtp;

// What is known of an envelope before the keystore decrypts it.
struct Parsed {
  wx::MessageV2 message;
  std::string id;
};

Result<Parsed> parse(const wx::Envelope& envelope) {
  auto message = wx::decode_message_v2(envelope.message);
  if (!message) return fail(message.error());
  if (message->header.topic != envelope.content_topic) {
    return fail(identity::KeystoreErrc::kBadHeader,
                "message header names topic " + message->header.topic + ": a message moved from another conversation");
  }
  return Parsed{std::move(*message), to_hex(crypto::sha256(envelope.message))};
}

// The wallet behind each sender bundle of a batch, checked once per bundle: a conversation's messages
// come from two bundles, and checking one costs two signature recoveries.
class SenderCache {
 public:
  Result<crypto::EthAddress> wallet_of(const wx::SignedPublicKeyBundle& sender) {
    auto key = wx::encode(sender);
    if (auto found = by_bundle_.find(key); found != by_bundle_.end()) return found->second;
    Result<crypto::EthAddress> wallet = [&]() -> Result<crypto::EthAddress> {
      if (auto checked = wx::verify_pre_key(sender); !checked) return fail(checked.error());
      return wx::wallet_address(sender.identity_key);
    }();
    return by_bundle_.emplace(std::move(key), std::move(wallet)).first->second;
  }

 private:
  std::map<Bytes, Result<crypto::EthAddress>> by_bundle_;
};

Result<DecodedMessage> finish(const Parsed& parsed, Result<Bytes> payload, SenderCache& senders) {
  if (!payload) return fail(context("message " + parsed.id, payload.error()));
  auto signed_content = wx::decode_signed_content(*payload);
  if (!signed_content) return fail(context("message " + parsed.id, signed_content.error()));
  auto sender = senders.wallet_of(signed_content->sender);
  if (!sender) return fail(context("message " + parsed.id + ": sender", sender.error()));
  if (auto verified = wx::verify_content_signature(*signed_content, parsed.message.header_bytes); !verified) {
    return fail(context("message " + parsed.id, verified.error()));
  }
  auto decoded = wx::decode_encoded_content(signed_content->payload);
  if (!decoded) return fail(context("message " + parsed.id, decoded.error()));
  return DecodedMessage{parsed.id,
                        parsed.message.header.topic,
                        sender->to_string(),
                        parsed.message.header.created_ns,
                        std::move(signed_content->payload),
                        std::move(*decoded)};
}

// A V1 message's payload opened: the rest of the checks, and the conversation it belongs to (the DM
// topic of the two wallets its header names).
Result<DecodedMessage> finish_v1(const wx::MessageV1& message, const std::string& id, Result<Bytes> payload) {
  if (!payload) return fail(context("message " + id, payload.error()));
  auto sender = identity::verify_public_bundle(message.header.sender);
  if (!sender) return fail(context("message " + id + ": sender", sender.error()));
  auto recipient = identity::verify_public_bundle(message.header.recipient);
  if (!recipient) return fail(context("message " + id + ": recipient", recipient.error()));
  auto decoded = wx::decode_encoded_content(*payload);
  if (!decoded) return fail(context("message " + id, decoded.error()));
  // The header's time is in ms; one that does not fit in ns would wrap into another date.
  if (message.header.timestamp > std::numeric_limits<std::uint64_t>::max() / 1'000'000) {
    return fail(wire::Errc::kMalformed, "message " + id + ": header timestamp " +
                                            std::to_string(message.header.timestamp) + " ms is past any date");
  }
  return DecodedMessage{id,
                        wx::dm_topic(*sender, *recipient),
                        sender->to_string(),
                        message.header.timestamp * 1'000'000,
                        std::move(*payload),
                        std::move(*decoded)};
}

}  // namespace

Result<wx::Envelope> seal_message(identity::Keystore& keystore, const std::string& topic, const Bytes& content,
                                  std::uint64_t sent_ns) {
  const wx::MessageHeaderV2 header{sent_ns, topic};
  Bytes header_bytes = wx::encode(header);
  const identity::EncryptV2Request request{content, header_bytes, topic};
  auto encrypted = std::move(keystore.encrypt_v2(std::span(&request, 1)).front());
  if (!encrypted) return fail(encrypted.error());
  const wx::MessageV2 message{std::move(header_bytes), header, std::move(encrypted->ciphertext),
                              std::move(encrypted->sender_hmac), true};
  return wx::Envelope{topic, sent_ns, wx::encode(message)};
}

std::vector<Result<DecodedMessage>> open_messages(identity::Keystore& keystore,
                                                  std::span<const wx::Envelope> envelopes) {
  std::vector<Result<Parsed>> parsed;
  std::vector<identity::DecryptV2Request> requests;
  parsed.reserve(envelopes.size());
  for (const auto& envelope : envelopes) {
    parsed.push_back(parse(envelope));
    if (parsed.back()) {
      const auto& message = parsed.back()->message;
      requests.push_back({message.ciphertext, message.header_bytes, envelope.content_topic});
    }
  }
  auto payloads = keystore.decrypt_v2(requests);
  std::vector<Result<DecodedMessage>> out;
  out.reserve(envelopes.size());
  std::size_t next = 0;
  SenderCache senders;
  for (auto& item : parsed) {
    if (!item) {
      out.push_back(fail(std::move(item.error())));
      continue;
    }
    out.push_back(finish(*item, std::move(payloads[next++]), senders));
  }
  return out;
}

}  // namespace keylink::messaging

namespace keylink::messaging {

std::vector<Result<DecodedMessage>> open_messages_v1(identity::Keystore& keystore,
                                                     std::span<const wx::Envelope> envelopes) {
  std::vector<Result<wx::MessageV1>> parsed;
  std::vector<identity::DecryptV1Request> requests;
  parsed.reserve(envelopes.size());
  for (const auto& envelope : envelopes) {
    parsed.push_back(wx::decode_message_v1(envelope.message));
    if (parsed.back()) requests.push_back({*parsed.back()});
  }
  auto payloads = keystore.decrypt_v1(requests);
  std::vector<Result<DecodedMessage>> out;
  out.reserve(envelopes.size());
  std::size_t next = 0;
  for (std::size_t i = 0; i < parsed.size(); ++i) {
    if (!parsed[i]) {
      out.push_back(fail(std::move(parsed[i].error())));
      continue;
    }
    out.push_back(finish_v1(*parsed[i], to_hex(crypto::sha256(envelopes[i].message)), std::move(payloads[next++])));
  }
  return out;
}

}  // namespace keylink::messaging
