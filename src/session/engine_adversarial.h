// Test-only: what the adversarial tests of the Sign engine share: two parties and a relay from one
// seed, and helpers that deliver, duplicate and inspect the message stream. See engine_harness.h for
// the relay model.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine_harness.h"
#include "keylink/session/engine.h"

namespace keylink::session::adversarial {

using testing::Network;
using testing::Party;
using namespace std::chrono_literals;

inline const std::string kAccount = "eip155:1:0xab16a96d359ec26a11e2c2b3d8f8b8942d5bfcdb";
inline const std::string kPolygonAccount = "eip155:137:0xab16a96d359ec26a11e2c2b3d8f8b8942d5bfcdb";

inline ProposalNamespaces required() {
  return {{"eip155", {{"eip155:1"}, {"personal_sign", "eth_sendTransaction"}, {"accountsChanged", "chainChanged"}}}};
}

inline SessionNamespaces granted() {
  return {{"eip155",
           {{"eip155:1"}, {kAccount}, {"personal_sign", "eth_sendTransaction"}, {"accountsChanged", "chainChanged"}}}};
}

inline SessionNamespaces wider() {
  SessionNamespaces out = granted();
  out["eip155"].chains.push_back("eip155:137");
  out["eip155"].accounts.push_back(kPolygonAccount);
  return out;
}

// Two parties and a relay between them, all from one seed.
struct World {
  explicit World(std::uint64_t seed = 7) : rng(seed) {}
  keylink::testing::TempDir dir;
  FixedRng rng;
  ManualClock clock;
  Party dapp{dir.file("dapp.db"), "dapp", rng, clock};
  Party wallet{dir.file("wallet.db"), "wallet", rng, clock};
  Network net{dapp, wallet};

  // A restart between two engine calls: what the engine said is collected (the runtime commits the
  // messages of a call with its state), then the engine is reopened from its file.
  void restart(Party& party) {
    net.collect_all();
    party.open();
    net.collect_all();
  }
};

// The oldest message in flight that somebody would receive now.
inline std::optional<std::size_t> deliverable(World& w) {
  w.net.collect_all();
  for (std::size_t i = 0; i < w.net.in_flight(); ++i) {
    if (w.net.receiver_at(i)) return i;
  }
  return std::nullopt;
}

inline bool only_dropped(const std::vector<Action>& actions) {
  return std::all_of(actions.begin(), actions.end(),
                     [](const Action& a) { return std::holds_alternative<MessageDropped>(a); });
}

inline std::string dropped_reasons(const std::vector<Action>& actions) {
  std::string out;
  for (const auto& action : actions) {
    if (auto* dropped = std::get_if<MessageDropped>(&action)) out += dropped->reason + "; ";
  }
  return out;
}

// Delivers everything deliverable, oldest first, each message `copies` times in a row; every copy after
// the first must give one MessageDropped and nothing else. Returns the number of such copies.
inline int drain(World& w, int copies = 1) {
  int dropped = 0;
  while (auto next = deliverable(w)) {
    Party* to = w.net.receiver_at(*next);
    const Publish message = w.net.peek(*next);
    w.net.deliver_at(*next);
    for (int copy = 1; copy < copies; ++copy) {
      auto actions = w.net.hand(*to, message);
      EXPECT_EQ(actions.size(), 1u) << "a copy of a message on " << message.topic << ": " << dropped_reasons(actions);
      EXPECT_TRUE(only_dropped(actions)) << "a copy of a message on " << message.topic << " did more than drop";
      dropped += static_cast<int>(actions.size());
    }
  }
  return dropped;
}

template <class T>
inline const T* last(const Party& party) {
  for (auto it = party.events.rbegin(); it != party.events.rend(); ++it) {
    if (auto* found = std::get_if<T>(&*it)) return found;
  }
  return nullptr;
}

// The kinds of app events a party saw, in order, without the MessageDropped log lines.
inline std::vector<std::size_t> kinds(const Party& party) {
  std::vector<std::size_t> out;
  for (const auto& event : party.events) {
    if (!std::holds_alternative<MessageDropped>(event)) out.push_back(event.index());
  }
  return out;
}

// connect() and pair(), delivered: the proposal as the wallet's app sees it.
inline std::optional<ProposalReceived> propose(World& w) {
  auto connection = w.dapp.engine->connect(required());
  EXPECT_TRUE(connection);
  if (!connection) return std::nullopt;
  EXPECT_TRUE(w.wallet.engine->pair(connection->uri));
  drain(w);
  return w.wallet.next<ProposalReceived>();
}

// connect(), pair(), approve(): both settled. Returns the session topic.
inline std::string handshake(World& w) {
  auto proposal = propose(w);
  EXPECT_TRUE(proposal);
  if (!proposal) return "";
  auto topic = w.wallet.engine->approve(proposal->proposal.id, granted());
  EXPECT_TRUE(topic);
  drain(w);
  EXPECT_TRUE(w.dapp.next<SessionSettled>());
  EXPECT_TRUE(w.wallet.next<SessionSettled>());
  return topic.value_or("");
}

// Every kind of message once, each delivered `copies` times: propose, its response, settle, its ack, a
// request and its response, an event, update and extend with their acks, a ping each way, and a delete.
inline int full_flow(World& w, int copies) {
  int dropped = 0;
  auto connection = w.dapp.engine->connect(required());
  EXPECT_TRUE(connection);
  EXPECT_TRUE(w.wallet.engine->pair(connection->uri));
  dropped += drain(w, copies);
  const auto* proposal = last<ProposalReceived>(w.wallet);
  EXPECT_NE(proposal, nullptr);
  if (!proposal) return dropped;
  auto topic = w.wallet.engine->approve(proposal->proposal.id, granted());
  EXPECT_TRUE(topic);
  dropped += drain(w, copies);
  auto id = w.dapp.engine->request(*topic, "eip155:1", "personal_sign", Json::array({"0x68656c6c6f", kAccount}));
  EXPECT_TRUE(id);
  dropped += drain(w, copies);
  EXPECT_TRUE(w.wallet.engine->respond(*topic, *id, "0xsignature"));
  dropped += drain(w, copies);
  EXPECT_TRUE(w.wallet.engine->emit(*topic, "eip155:1", "chainChanged", 1));
  dropped += drain(w, copies);
  EXPECT_TRUE(w.wallet.engine->update(*topic, wider()));
  dropped += drain(w, copies);
  w.clock.advance(1h);
  EXPECT_TRUE(w.wallet.engine->extend(*topic));
  dropped += drain(w, copies);
  EXPECT_TRUE(w.dapp.engine->ping(*topic));
  dropped += drain(w, copies);
  EXPECT_TRUE(w.wallet.engine->ping(*topic));
  dropped += drain(w, copies);
  EXPECT_TRUE(w.dapp.engine->disconnect(*topic));
  dropped += drain(w, copies);
  return dropped;
}

}  // namespace keylink::session::adversarial
