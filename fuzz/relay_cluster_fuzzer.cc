// Two relay nodes of a cluster over one in-memory stream (testing/shared_stream.h), driven by arbitrary
// frames from a client on each and by the stream reaching each node at arbitrary moments. Each line of
// the input is one step: "a FRAME" or "b FRAME" is a frame from node a's or node b's client, "A" or "B"
// brings the stream to that node (its feed, then the answers to its appends), anything else ends the
// current read. Nothing may crash, every frame sent out is valid JSON, and once the stream has reached
// both nodes they keep the same messages (localOnly publishes, which stay on their node, are left out).
#include "keylink/relay/relay_core.h"
#include "relay_fuzz_peer.h"
#include "testing/shared_stream.h"

using namespace keylink;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const relay::Limits limits = fuzz_limits();
  const ManualClock clock;
  relay::testing::Stream stream;
  relay::testing::StreamJournal journal_a(stream), journal_b(stream);
  relay::RelayCore a(limits, clock, &journal_a), b(limits, clock, &journal_b);
  FUZZ_ASSERT(a.load() && b.load());
  // The same client on both nodes, and another: acks, dedupe and the publisher's own messages cross.
  MemoryPeer alice("did:key:alice"), alice_too("did:key:alice"), bob("did:key:bob");
  a.attach(alice);
  b.attach(alice_too);
  b.attach(bob);
  relay::Peer* reading = nullptr;
  relay::RelayCore* reading_core = nullptr;
  auto end_read = [&] {
    if (reading) reading_core->on_read_end(*reading);
    reading = nullptr;
  };
  std::string_view input = fuzz_text(data, size);
  for (std::size_t step = 0; !input.empty(); ++step) {
    const std::string_view line = input.substr(0, input.find('\n'));
    input.remove_prefix(std::min(input.size(), line.size() + 1));
    if (line == "A" || line == "B") {
      end_read();
      (line == "A" ? journal_a : journal_b).settle(clock.unix_millis());
      continue;
    }
    if (line.size() < 2 || (line[0] != 'a' && line[0] != 'b') || line[1] != ' ' ||
        line.find("localOnly") != std::string_view::npos) {
      end_read();
      continue;
    }
    relay::Peer& peer = line[0] == 'a' ? static_cast<relay::Peer&>(alice) : (step % 2 ? alice_too : bob);
    relay::RelayCore& core = line[0] == 'a' ? a : b;
    if (reading != &peer) end_read();
    reading = &peer;
    reading_core = &core;
    core.on_frame(peer, line.substr(2));
  }
  end_read();
  journal_a.settle(clock.unix_millis());
  journal_b.settle(clock.unix_millis());
  FUZZ_ASSERT(a.mailbox().message_count() == b.mailbox().message_count());
  a.detach(alice);
  b.detach(alice_too);
  b.detach(bob);
  return 0;
}
