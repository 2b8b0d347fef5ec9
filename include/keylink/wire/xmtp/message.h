// XMTP V2 messages: MessageV2{header_bytes, ciphertext, sender_hmac?, should_push?} inside
// Message{v2}, with header MessageHeaderV2{created_ns, topic}. The header bytes are kept exactly as
// received: they are the AAD of the ciphertext and the input of sender_hmac.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "keylink/base/bytes.h"
#include "keylink/base/result.h"
#include "keylink/wire/xmtp/ciphertext.h"

namespace keylink::wire::xmtp {

inline constexpr std::size_t kMaxMessageSize = 4 * 1024 * 1024;

struct MessageHeaderV2 {
  std::uint64_t created_ns = 0;
  std::string topic;
};

struct MessageV2 {
  Bytes header_bytes;
  MessageHeaderV2 header;  // header_bytes, decoded
  Ciphertext ciphertext;
  std::optional<Bytes> sender_hmac;
  std::optional<bool> should_push;
};

Result<MessageHeaderV2> decode_message_header_v2(ByteView bytes);
// A Message{v2}; a V1 message fails with Errc::kBadVersion.
Result<MessageV2> decode_message_v2(ByteView bytes);

Bytes encode(const MessageHeaderV2& header);
// As Message{v2}. REQUIRES: message.header_bytes is set (encode(message.header) for a new message).
Bytes encode(const MessageV2& message);

}  // namespace keylink::wire::xmtp
