// XMTP messages (message_contents.Message{v1 | v2}):
//   V1: MessageV1{header_bytes, ciphertext} with header MessageHeaderV1{sender, recipient
//       (PublicKeyBundle), timestamp (ms)}; the direct-message topics. Sealing and opening: message_v1.h.
//   V2: MessageV2{header_bytes, ciphertext, sender_hmac?, should_push?} with header
//       MessageHeaderV2{created_ns, topic}; the invitation topics.
// The header bytes are kept exactly as received: they are the AAD of the ciphertext (and, in V2, the
// input of sender_hmac). Each decoder refuses the other version with Errc::kBadVersion.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "keylink/base/bytes.h"
#include "keylink/base/result.h"
#include "keylink/wire/xmtp/ciphertext.h"
#include "keylink/wire/xmtp/keys.h"

namespace keylink::wire::xmtp {

inline constexpr std::size_t kMaxMessageSize = 4 * 1024 * 1024;

struct MessageHeaderV1 {
  PublicKeyBundle sender;
  PublicKeyBundle recipient;
  std::uint64_t timestamp = 0;  // milliseconds since the epoch
};

struct MessageV1 {
  Bytes header_bytes;
  MessageHeaderV1 header;  // header_bytes, decoded
  Ciphertext ciphertext;
};

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

// A header must carry both bundles, each with both keys (as xmtp-js MessageV1.fromBytes requires).
Result<MessageHeaderV1> decode_message_header_v1(ByteView bytes);
// A Message{v1}; a V2 message fails with Errc::kBadVersion.
Result<MessageV1> decode_message_v1(ByteView bytes);

Bytes encode(const MessageHeaderV1& header);
// As Message{v1}. REQUIRES: message.header_bytes is set (encode(message.header) for a new message).
Bytes encode(const MessageV1& message);

Result<MessageHeaderV2> decode_message_header_v2(ByteView bytes);
// A Message{v2}; a V1 message fails with Errc::kBadVersion.
Result<MessageV2> decode_message_v2(ByteView bytes);

Bytes encode(const MessageHeaderV2& header);
// As Message{v2}. REQUIRES: message.header_bytes is set (encode(message.header) for a new message).
Bytes encode(const MessageV2& message);

}  // namespace keylink::wire::xmtp
