#include "keylink/relay/forwarder.h"

namespace keylink::relay {

void Forwarder::attach(Peer& peer) {
  if (!peer.bench_publisher) subscribers_[peer.bench_group].insert(&peer);
  ++metrics_.connections;
}

void Forwarder::detach(Peer& peer) {
  if (auto found = subscribers_.find(peer.bench_group); found != subscribers_.end()) found->second.erase(&peer);
  --metrics_.connections;
}

void Forwarder::on_frame(Peer& peer, std::string_view frame) {
  if (!peer.bench_publisher) return;
  peer.send(R"({"id":0,"jsonrpc":"2.0","result":true})");
  auto found = subscribers_.find(peer.bench_group);
  if (found == subscribers_.end()) return;
  for (Peer* subscriber : found->second) subscriber->send(frame);
}

}  // namespace keylink::relay
