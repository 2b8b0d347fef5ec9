// Property: a URI that parses formats to a URI that parses to the same fields (when that canonical
// form, which percent-encodes more than senders must, still fits in kMaxUriLength).
#include "fuzz_util.h"
#include "keylink/wire/pairing_uri.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const keylink::ManualClock clock(keylink::TimePoint(std::chrono::seconds(1'700'000'000)));
  auto uri = keylink::wire::PairingUri::parse(fuzz_text(data, size), clock);
  if (!uri) {
    FUZZ_ASSERT(!uri.error().message.empty());
    return 0;
  }
  const std::string text = uri->to_string();
  if (text.size() > keylink::wire::kMaxUriLength) return 0;
  auto again = keylink::wire::PairingUri::parse(text, clock);
  FUZZ_ASSERT(again);
  FUZZ_ASSERT(again->topic == uri->topic && again->sym_key == uri->sym_key && again->expiry == uri->expiry);
  FUZZ_ASSERT(again->methods == uri->methods && again->kl_params == uri->kl_params);
  FUZZ_ASSERT(again->relay_protocol == uri->relay_protocol && again->relay_params == uri->relay_params);
  return 0;
}
