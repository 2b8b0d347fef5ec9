// Property: a link URI that parses formats to a URI that parses to the same fields; any other text
// gives an error with a message.
#include "fuzz_util.h"
#include "keylink/link/link_uri.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const keylink::TimePoint now{std::chrono::seconds(1'700'000'000)};
  auto uri = keylink::link::LinkUri::parse(fuzz_text(data, size), now);
  if (!uri) {
    FUZZ_ASSERT(!uri.error().message.empty());
    return 0;
  }
  const std::string text = uri->to_string();
  FUZZ_ASSERT(text.size() <= keylink::link::kMaxLinkUriLength);
  auto again = keylink::link::LinkUri::parse(text, now);
  FUZZ_ASSERT(again);
  FUZZ_ASSERT(again->topic == uri->topic && again->joiner_key == uri->joiner_key && again->code == uri->code);
  FUZZ_ASSERT(again->expiry == uri->expiry && again->caps == uri->caps && again->lan == uri->lan);
  FUZZ_ASSERT(again->to_string() == text);
  return 0;
}
