// Parses arbitrary bytes as WebSocket client frames. Nothing may crash or read out of bounds, the parser
// never claims more bytes than it was given, and feeding the same bytes in two pieces (split where the
// first byte says) gives the same events as feeding them at once.
#include <string>
#include <vector>

#include "fuzz_util.h"
#include "relay/frame_codec.h"

namespace {

using namespace keylink::relay;

struct Recorder final : FrameParser::Visitor {
  void on_text(std::string_view message) override { events.push_back("t" + std::string(message)); }
  void on_ping(std::string_view payload) override { events.push_back("p" + std::string(payload)); }
  void on_pong() override { events.push_back("o"); }
  void on_close(std::uint16_t code, std::string_view reason) override {
    events.push_back("c" + std::to_string(code) + std::string(reason));
  }
  void on_error(std::uint16_t code, std::string_view) override { events.push_back("e" + std::to_string(code)); }
  std::vector<std::string> events;
};

// Feeds the bytes as a reader would: parse what is there, keep the rest, append more, parse again.
std::vector<std::string> feed(std::string_view bytes, std::size_t split) {
  FrameParser parser(4096);
  Recorder recorder;
  std::string buffer;
  for (std::string_view piece : {bytes.substr(0, split), bytes.substr(split)}) {
    buffer += piece;
    const std::size_t used = parser.parse(std::span(buffer.data(), buffer.size()), recorder);
    FUZZ_ASSERT(used <= buffer.size());
    buffer.erase(0, used);
  }
  return recorder.events;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes = fuzz_text(data, size);
  const std::size_t split = size == 0 ? 0 : data[0] % (size + 1);
  FUZZ_ASSERT(feed(bytes, split) == feed(bytes, size));
  return 0;
}
