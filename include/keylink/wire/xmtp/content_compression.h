// Compressed XMTP content (EncodedContent.compression), as xmtp-js Compression.ts does it with the
// Compression Streams API: "deflate" is a zlib stream (RFC 1950), "gzip" a gzip member (RFC 1952).
//
// The compressed bytes come from a peer, so decompression is bounded: max_size is the most the content
// may inflate to, checked while inflating (a zip bomb stops at max_size, it never allocates more).
// xmtp-js 13 Client.decodeContent passes 1000 bytes, so an xmtp-js reader refuses compressed content
// that inflates past 1000 bytes; keylink readers pass kMaxContentSize or less. Thread-safe.
#pragma once

#include <cstddef>

#include "keylink/base/result.h"
#include "keylink/wire/xmtp/content.h"

namespace keylink::wire::xmtp {

// What xmtp-js Client.decodeContent allows; a sender that wants xmtp-js readers stays under it.
inline constexpr std::size_t kXmtpJsMaxDecompressedSize = 1000;
// xmtp-js Client.encodeContent leaves content shorter than this uncompressed.
inline constexpr std::size_t kMinCompressibleSize = 10;

// content with compression cleared and content inflated; unchanged when it is not compressed.
// Fails with Errc::kTooLarge when the content inflates past max_size, Errc::kMalformed when it is not a
// complete stream of its format or has bytes after the stream's end.
Result<EncodedContent> decompress(EncodedContent content, std::size_t max_size);

// content with compression set and content compressed; unchanged (no compression) when the content is
// shorter than kMinCompressibleSize, as xmtp-js does. REQUIRES: content is not compressed yet.
EncodedContent compress(EncodedContent content, Compression algorithm);

}  // namespace keylink::wire::xmtp
