#include "keylink/messaging/message.h"

#include <optional>
#include <utility>

#include "keylink/base/encoding.h"
#include "keylink/crypto/hash.h"
#include "keylink/identity/keystore_errors.h"
#include "keylink/wire/xmtp/message.h"
#include "keylink/wire/xmtp/signatures.h"

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
    return fail(identity::KeystoreErrc::kBadHeader, "message header names topic " + message->header.topic +
                                                ": a message moved from another conversation");
  }
  return Parsed{std::move(*message), to_hex(crypto::sha256(envelope.message))};
}

Result<DecodedMessage> finish(const Parsed& parsed, Result<Bytes> payload) {
  if (!payload) return fail(context("message " + parsed.id, payload.error()));
  auto signed_content = wx::decode_signed_content(*payload);
  if (!signed_content) return fail(context("message " + parsed.id, signed_content.error()));
  if (auto verified = wx::verify_signed_content(*signed_content, parsed.message.header_bytes); !verified) {
    return fail(context("message " + parsed.id, verified.error()));
  }
  auto sender = wx::wallet_address(signed_content->sender.identity_key);
  if (!sender) return fail(context("message " + parsed.id + ": sender", sender.error()));
  auto decoded = wx::decode_encoded_content(signed_content->payload);
  if (!decoded) return fail(context("message " + parsed.id, decoded.error()));
  return DecodedMessage{parsed.id,
                        parsed.message.header.topic,
                        sender->to_string(),
                        parsed.message.header.created_ns,
                        std::move(signed_content->payload),
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
  for (auto& item : parsed) {
    if (!item) {
      out.push_back(fail(std::move(item.error())));
      continue;
    }
    out.push_back(finish(*item, std::move(payloads[next++])));
  }
  return out;
}

}  // namespace keylink::messaging
