// Drives arbitrary frames through the relay core in memory, as two clients reading in turn: each line of
// the input is one frame, and an empty line ends the client's read and passes the turn to the other.
// Nothing may crash, and every frame sent out is valid JSON.
#include "keylink/relay/relay_core.h"
#include "relay_fuzz_peer.h"

using namespace keylink;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const relay::Limits limits = fuzz_limits();
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
