// Drives arbitrary frames through the relay core in memory, as two clients reading in turn: each line of
// the input is one frame, and an empty line ends the client's read and passes the turn to the other.
// Nothing may crash, and every frame sent out is valid JSON.
#include <nlohmann/json.hpp>

#include "fuzz_util.h"
#include "keylink/relay/relay_core.h"

namespace {

using namespace keylink;

class MemoryPeer final : public relay::Peer {
 public:
  using Peer::Peer;
  void send(std::string_view frame) override { FUZZ_ASSERT(nlohmann::json::accept(frame)); }
  void close(std::uint16_t, std::string_view) override {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  relay::Limits limits;
  limits.max_subscriptions_per_client = 8;
  limits.delivery_window = 4;
  const ManualClock clock;
  relay::RelayCore core(limits, clock, nullptr);
  MemoryPeer alice("did:key:alice"), bob("did:key:bob");
  core.attach(alice);
  core.attach(bob);
  std::string_view input = fuzz_text(data, size);
  relay::Peer* reader = &alice;
  while (!input.empty()) {
    const std::string_view frame = input.substr(0, input.find('\n'));
    input.remove_prefix(std::min(input.size(), frame.size() + 1));
    if (!frame.empty()) {
      core.on_frame(*reader, frame);
      continue;
    }
    core.on_read_end(*reader);
    reader = reader == &alice ? &bob : &alice;
  }
  core.on_read_end(*reader);
  core.prune();
  core.detach(alice);
  core.detach(bob);
  return 0;
}
