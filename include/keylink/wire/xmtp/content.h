// XMTP message content: EncodedContent{type, parameters, fallback?, compression?, content} and the
// SignedContent{payload, sender, signature} that a V2 message encrypts.
//
// Byte order note: xmtp-js writes EncodedContent.compression (field 5) before content (field 4) and map
// entries in insertion order; we write fields in number order and map keys sorted. Both decode the
// other, but a re-encoded EncodedContent is not always byte-identical: never sign or MAC re-encoded
// content — SignedContent keeps the payload bytes as they were signed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "keylink/base/bytes.h"
#include "keylink/base/result.h"
#include "keylink/wire/xmtp/keys.h"

namespace keylink::wire::xmtp {

inline constexpr std::size_t kMaxContentSize = 4 * 1024 * 1024;

struct ContentTypeId {
  std::string authority_id;  // "xmtp.org"
  std::string type_id;       // "text"
  std::uint32_t version_major = 0;
  std::uint32_t version_minor = 0;
  friend bool operator==(const ContentTypeId&, const ContentTypeId&) = default;
};

enum class Compression { kDeflate = 0, kGzip = 1 };

struct EncodedContent {
  ContentTypeId type;
  std::map<std::string, std::string> parameters;
  std::optional<std::string> fallback;
  std::optional<Compression> compression;
  Bytes content;
};

struct SignedContent {
  Bytes payload;  // an encoded EncodedContent, exactly as signed
  SignedPublicKeyBundle sender;
  Signature signature;  // by sender.pre_key over sha256(header_bytes ‖ payload)
};

// Refuses a missing type and a compression value other than deflate or gzip.
Result<EncodedContent> decode_encoded_content(ByteView bytes);
Result<SignedContent> decode_signed_content(ByteView bytes);
Bytes encode(const EncodedContent& content);
Bytes encode(const SignedContent& content);

}  // namespace keylink::wire::xmtp
