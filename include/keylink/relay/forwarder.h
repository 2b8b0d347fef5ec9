// The limit the relay is measured against (keylink-relay --bench-forward): the same server and write
// path with the JSON handling and the storage taken out. A publisher's every frame gets a fixed reply and
// goes unchanged to the subscribers of its group; subscribers' frames (their acks) are dropped.
#pragma once

#include <string>
#include <unordered_map>
#include <unordered_set>

#include "keylink/relay/peer.h"

namespace keylink::relay {

class Forwarder final : public PeerHandler {
 public:
  void attach(Peer& peer) override;
  void detach(Peer& peer) override;
  void on_frame(Peer& peer, std::string_view frame) override;
  Metrics& metrics() override { return metrics_; }

 private:
  std::unordered_map<std::string, std::unordered_set<Peer*>> subscribers_;  // group -> peers
  Metrics metrics_;
};

}  // namespace keylink::relay
