// Decodes arbitrary bytes as an XMTP EncodedContent, inflates it under a small limit, then reads it as
// text, reaction or reply: nothing may crash, inflate past the limit or refuse without a reason, and a
// decoded reaction or reply must encode to content that decodes to the same value.
#include <cstddef>
#include <cstdint>

#include "fuzz_util.h"
#include "keylink/wire/xmtp/content.h"
#include "keylink/wire/xmtp/content_compression.h"
#include "keylink/wire/xmtp/content_types.h"

namespace {

namespace wx = keylink::wire::xmtp;

constexpr std::size_t kLimit = 64 * 1024;

void read_as_types(const wx::EncodedContent& content) {
  if (auto text = wx::decode_text(content); !text) FUZZ_ASSERT(!text.error().message.empty());
  if (auto reaction = wx::decode_reaction(content)) {
    auto again = wx::decode_reaction(wx::encode_reaction(*reaction));
    FUZZ_ASSERT(again.has_value());
    // Invalid UTF-8 in a field comes back as U+FFFD, so compare what a second round gives.
    auto third = wx::decode_reaction(wx::encode_reaction(*again));
    FUZZ_ASSERT(third.has_value() && *third == *again);
  } else {
    FUZZ_ASSERT(!reaction.error().message.empty());
  }
  if (auto reply = wx::decode_reply(content)) {
    auto again = wx::decode_reply(wx::encode_reply(*reply));
    FUZZ_ASSERT(again.has_value());
    FUZZ_ASSERT(again->reference == reply->reference);
    FUZZ_ASSERT(wx::encode(again->content) == wx::encode(reply->content));
  } else {
    FUZZ_ASSERT(!reply.error().message.empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto content = wx::decode_encoded_content(keylink::ByteView(data, size));
  if (!content) return 0;
  auto inflated = wx::decompress(std::move(*content), kLimit);
  if (!inflated) {
    FUZZ_ASSERT(!inflated.error().message.empty());
    return 0;
  }
  FUZZ_ASSERT(inflated->content.size() <= kLimit);
  FUZZ_ASSERT(!inflated->compression);
  read_as_types(*inflated);
  return 0;
}
