// The relay client's side of the JSON: arbitrary text as a frame from the relay (parse_incoming), the
// result of a fetch in it (parse_fetch_result), the ack the client would send, the dedupe window, and
// the first line as a relay URL. Nothing may crash; what is parsed must be usable.
#include <nlohmann/json.hpp>

#include "fuzz_util.h"
#include "relay/client_protocol.h"

namespace {

using namespace keylink;
using namespace keylink::relay::client_protocol;

constexpr std::size_t kMaxFrame = 1 << 20;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz_text(data, size);
  auto incoming = parse_incoming(text, kMaxFrame);
  if (auto* delivery = std::get_if<Delivery>(&incoming)) {
    FUZZ_ASSERT(nlohmann::json::accept(ack_text(delivery->id)));
    DedupeWindow window(2);
    FUZZ_ASSERT(window.first_time(delivery->message.topic, delivery->message.message));
    FUZZ_ASSERT(!window.first_time(delivery->message.topic, delivery->message.message));
  } else if (auto* answer = std::get_if<Answer>(&incoming)) {
    if (answer->result) {
      FetchPage page = parse_fetch_result(*answer->result);
      for (const auto& message : page.messages) FUZZ_ASSERT(message.topic.size() + message.message.size() <= size);
    }
  }
  if (size > 0 && size <= 64) parse_incoming(text, size - 1);  // the size limit, right at the edge

  const std::string_view line = text.substr(0, text.find('\n'));
  if (auto url = parse_relay_url(line)) {
    FUZZ_ASSERT(!url->host.empty() && !url->port.empty() && url->path.starts_with('/'));
    const std::string target = connect_target(*url, "jwt", "project");
    FUZZ_ASSERT(target.starts_with(url->path));
  }
  return 0;
}
