// Shared by the relay core's fuzz targets: a peer in memory whose every frame must be valid JSON, and
// limits small enough that the fuzzer reaches the delivery window and the subscription cap.
#pragma once

#include <nlohmann/json.hpp>

#include "fuzz_util.h"
#include "keylink/relay/limits.h"
#include "keylink/relay/peer.h"

class MemoryPeer final : public keylink::relay::Peer {
 public:
  using Peer::Peer;
  void send(std::string_view frame) override { FUZZ_ASSERT(nlohmann::json::accept(frame)); }
  void close(std::uint16_t, std::string_view) override {}
};

inline keylink::relay::Limits fuzz_limits() {
  keylink::relay::Limits limits;
  limits.max_subscriptions_per_client = 8;
  limits.delivery_window = 4;
  return limits;
}
