// Private to wire/xmtp: the generated protobuf types and the conversions to and from the domain types.
// Nothing outside src/wire/xmtp includes this file.
#pragma once

#include <string>
#include <string_view>

#include "keylink/base/bytes.h"
#include "keylink/base/result.h"
#include "keylink/wire/errors.h"
#include "keylink/wire/xmtp/ciphertext.h"
#include "keylink/wire/xmtp/keys.h"
#include "xmtp/message_contents/ciphertext.pb.h"
#include "xmtp/message_contents/public_key.pb.h"
#include "xmtp/message_contents/signature.pb.h"

namespace keylink::wire::xmtp {

namespace pb = ::xmtp::message_contents;

inline tl::unexpected<Error> missing(std::string_view field) {
  return fail(Errc::kMalformed, std::string(field) + ": missing");
}

inline tl::unexpected<Error> bad_field(std::string_view field, std::string_view problem) {
  return fail(Errc::kMalformed, std::string(field) + ": " + std::string(problem));
}

// Bytes in, a parsed message out; refuses oversized, truncated and unparseable input.
template <class Message>
Result<Message> parse_message(ByteView bytes, std::string_view name, std::size_t max_size) {
  if (bytes.size() > max_size) {
    return fail(Errc::kTooLarge, std::string(name) + ": " + std::to_string(bytes.size()) + " bytes, over the " +
                                     std::to_string(max_size) + "-byte limit");
  }
  Message message;
  if (!message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return fail(Errc::kMalformed, std::string(name) + ": not a valid protobuf message (truncated or garbage)");
  }
  return message;
}

// Deterministic: map entries sorted by key, so equal values give equal bytes.
Bytes serialize_message(const google::protobuf::MessageLite& message);

inline Bytes to_bytes(const std::string& field) { return {field.begin(), field.end()}; }
inline std::string to_field(ByteView bytes) { return std::string(as_chars(bytes)); }

Result<Signature> from_proto(const pb::Signature& proto);
Result<SignedPublicKey> from_proto(const pb::SignedPublicKey& proto);
Result<SignedPublicKeyBundle> from_proto(const pb::SignedPublicKeyBundle& proto);
Result<PublicKey> from_proto(const pb::PublicKey& proto);
Result<PublicKeyBundle> from_proto(const pb::PublicKeyBundle& proto);
Result<Ciphertext> from_proto(const pb::Ciphertext& proto);

void to_proto(const Signature& value, pb::Signature& proto);
void to_proto(const SignedPublicKey& value, pb::SignedPublicKey& proto);
void to_proto(const SignedPublicKeyBundle& value, pb::SignedPublicKeyBundle& proto);
void to_proto(const PublicKey& value, pb::PublicKey& proto);
void to_proto(const PublicKeyBundle& value, pb::PublicKeyBundle& proto);
void to_proto(const Ciphertext& value, pb::Ciphertext& proto);

}  // namespace keylink::wire::xmtp
