#include "keylink/wire/xmtp/content_compression.h"

#include <zlib.h>

#include <array>
#include <climits>

#include "keylink/base/check.h"
#include "keylink/wire/errors.h"

namespace keylink::wire::xmtp {
namespace {

// zlib's windowBits: 15 is a zlib stream, +16 a gzip member.
int window_bits(Compression algorithm) { return algorithm == Compression::kGzip ? 15 + 16 : 15; }

const char* name(Compression algorithm) { return algorithm == Compression::kGzip ? "gzip" : "deflate"; }

class Inflater {
 public:
  explicit Inflater(Compression algorithm) { KEYLINK_CHECK(inflateInit2(&stream_, window_bits(algorithm)) == Z_OK); }
  ~Inflater() { inflateEnd(&stream_); }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
  z_stream& stream() { return stream_; }

 private:
  z_stream stream_{};
};

Result<Bytes> inflate_all(ByteView input, Compression algorithm, std::size_t max_size) {
  if (input.size() > UINT_MAX) return fail(Errc::kTooLarge, "compressed content over 4 GiB");
  Inflater inflater(algorithm);
  auto& stream = inflater.stream();
  stream.next_in = const_cast<Bytef*>(input.data());  // zlib does not write through next_in
  stream.avail_in = static_cast<uInt>(input.size());
  Bytes out;
  std::array<std::uint8_t, 16 * 1024> chunk{};
  for (;;) {
    stream.next_out = chunk.data();
    stream.avail_out = static_cast<uInt>(chunk.size());
    const int rc = inflate(&stream, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      return fail(Errc::kMalformed, std::string("compressed content: not a complete ") + name(algorithm) + " stream");
    }
    // Checked chunk by chunk: a bomb stops within 16 KiB past max_size.
    const std::size_t produced = chunk.size() - stream.avail_out;
    if (out.size() + produced > max_size) {
      return fail(Errc::kTooLarge, "compressed content inflates past the " + std::to_string(max_size) + "-byte limit");
    }
    out.insert(out.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(produced));
    if (rc == Z_STREAM_END) break;
  }
  // DecompressionStream refuses bytes after the end of the stream ("junk after end of data").
  if (stream.avail_in != 0) return fail(Errc::kMalformed, "compressed content: bytes after the end of the stream");
  return out;
}

Bytes deflate_all(ByteView input, Compression algorithm) {
  KEYLINK_CHECK(input.size() <= UINT_MAX / 2);
  z_stream stream{};
  KEYLINK_CHECK(
      deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, window_bits(algorithm), 8, Z_DEFAULT_STRATEGY) == Z_OK);
  Bytes out(deflateBound(&stream, static_cast<uLong>(input.size())));
  stream.next_in = const_cast<Bytef*>(input.data());
  stream.avail_in = static_cast<uInt>(input.size());
  stream.next_out = out.data();
  stream.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&stream, Z_FINISH);
  deflateEnd(&stream);
  KEYLINK_CHECK(rc == Z_STREAM_END);  // deflateBound is enough for one Z_FINISH call
  out.resize(stream.total_out);
  return out;
}

}  // namespace

Result<EncodedContent> decompress(EncodedContent content, std::size_t max_size) {
  if (!content.compression) return content;
  auto inflated = inflate_all(content.content, *content.compression, max_size);
  if (!inflated) return fail(context("EncodedContent.content", inflated.error()));
  content.content = std::move(*inflated);
  content.compression.reset();
  return content;
}

EncodedContent compress(EncodedContent content, Compression algorithm) {
  KEYLINK_CHECK(!content.compression);
  if (content.content.size() < kMinCompressibleSize) return content;
  content.content = deflate_all(content.content, algorithm);
  content.compression = algorithm;
  return content;
}

}  // namespace keylink::wire::xmtp
