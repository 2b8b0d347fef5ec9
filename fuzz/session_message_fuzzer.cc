// Drives the Sign engine with hostile relay messages. A settled dApp/wallet pair and a dApp with a
// proposal awaiting its answer are set up once (fixed seed, SQLite ":memory:" homes); each input is
// one message to one of them:
//   byte 0, bits 0-6 mod 5: who receives it and on which topic: 0 the wallet on the session topic,
//     1 the dApp on the session topic, 2 the wallet on the pairing topic, 3 the dApp on the pairing
//     topic, 4 the second dApp on its pairing topic (its proposal's answer: on_propose_response);
//   byte 0, bit 7: the rest is the envelope text itself (raw) instead of a JSON-RPC plaintext that the
//     fuzzer seals with the topic's key, so that the parsers of params are reached.
// Nothing may crash, and on_message never fails (only a store could, and ":memory:" does not).
// The engines keep their state across inputs; they are rebuilt when a session or proposal is gone or
// pending requests pile up.
#include <memory>
#include <string>
#include <vector>

#include "fuzz_util.h"
#include "keylink/base/clock.h"
#include "keylink/base/rng.h"
#include "keylink/session/engine.h"
#include "keylink/session/session_store.h"
#include "keylink/store/database.h"
#include "keylink/store/vault.h"
#include "keylink/wire/envelope.h"

namespace {

using namespace keylink;
using namespace keylink::session;

const crypto::Argon2Params kFastArgon2{1, std::size_t{8} << 20};
constexpr std::size_t kMaxPending = 64;
constexpr int kInputsPerWorld = 20000;

struct Home {
  Home(const std::string& name, Rng& rng, const Clock& clock) {
    auto opened = store::Database::open(":memory:");
    FUZZ_ASSERT(opened);
    db = std::make_unique<store::Database>(std::move(*opened));
    auto opened_vault = store::Vault::open(*db, SecretBytes(as_bytes("fuzz")), rng, kFastArgon2);
    FUZZ_ASSERT(opened_vault);
    vault = std::make_unique<store::Vault>(std::move(*opened_vault));
    auto opened_store = open_sqlite_session_store(*db, *vault, rng);
    FUZZ_ASSERT(opened_store);
    store = std::move(*opened_store);
    EngineOptions options;
    options.self = {name, name, "https://" + name + ".example", {}};
    auto opened_engine = Engine::open(*store, options, rng, clock);
    FUZZ_ASSERT(opened_engine);
    engine = std::make_unique<Engine>(std::move(*opened_engine));
  }
  std::unique_ptr<store::Database> db;
  std::unique_ptr<store::Vault> vault;
  std::unique_ptr<SessionStore> store;
  std::unique_ptr<Engine> engine;
};

// Hands every Publish of `from` to `to` (the only other party on the topic).
void shuttle(Home& from, Home& to) {
  for (auto& action : from.engine->take_actions()) {
    if (auto* publish = std::get_if<Publish>(&action))
      FUZZ_ASSERT(to.engine->on_message(publish->topic, publish->message));
  }
}

struct World {
  World() : rng(1), dapp("dapp", rng, clock), wallet("wallet", rng, clock), pending("pending", rng, clock) {
    const ProposalNamespaces required{
        {"eip155", {{"eip155:1"}, {"personal_sign", "eth_sendTransaction"}, {"accountsChanged", "chainChanged"}}}};
    const SessionNamespaces granted{{"eip155",
                                     {{"eip155:1", "eip155:137"},
                                      {"eip155:1:0xab16a96d359ec26a11e2c2b3d8f8b8942d5bfcdb"},
                                      {"personal_sign", "eth_sendTransaction"},
                                      {"accountsChanged", "chainChanged"}}}};
    auto connection = dapp.engine->connect(required);
    FUZZ_ASSERT(connection);
    pairing_topic = connection->pairing_topic;
    FUZZ_ASSERT(wallet.engine->pair(connection->uri));
    shuttle(dapp, wallet);
    std::int64_t proposal_id = 0;
    for (auto& action : wallet.engine->take_actions()) {
      if (auto* received = std::get_if<ProposalReceived>(&action)) proposal_id = received->proposal.id;
    }
    auto topic = wallet.engine->approve(proposal_id, granted);
    FUZZ_ASSERT(topic);
    session_topic = *topic;
    for (int round = 0; round < 3; ++round) {
      shuttle(wallet, dapp);
      shuttle(dapp, wallet);
    }
    FUZZ_ASSERT(dapp.engine->sessions().size() == 1 && wallet.engine->sessions().size() == 1);
    FUZZ_ASSERT(wallet.engine->sessions()[0].acknowledged);

    auto second = pending.engine->connect(required);
    FUZZ_ASSERT(second);
    pending_topic = second->pairing_topic;
    pending.engine->take_actions();
  }

  bool worn() const {
    return inputs > kInputsPerWorld || dapp.engine->sessions().size() != 1 || wallet.engine->sessions().size() != 1 ||
           dapp.engine->pairings().empty() || wallet.engine->pairings().empty() ||
           pending.engine->proposals().size() != 1 || !pending.engine->proposals()[0].session_topic.empty() ||
           dapp.engine->pending_requests().size() > kMaxPending ||
           wallet.engine->pending_requests().size() > kMaxPending;
  }

  FixedRng rng;
  ManualClock clock;
  Home dapp, wallet, pending;
  std::string pairing_topic, session_topic, pending_topic;
  int inputs = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static std::unique_ptr<World> world;
  if (size == 0) return 0;
  if (!world || world->worn()) {
    world.reset();
    world = std::make_unique<World>();
  }
  World& w = *world;
  ++w.inputs;
  const bool raw = (data[0] & 0x80) != 0;
  Home* to = nullptr;
  const std::string* topic = nullptr;
  switch ((data[0] & 0x7f) % 5) {
    case 0: to = &w.wallet, topic = &w.session_topic; break;
    case 1: to = &w.dapp, topic = &w.session_topic; break;
    case 2: to = &w.wallet, topic = &w.pairing_topic; break;
    case 3: to = &w.dapp, topic = &w.pairing_topic; break;
    default: to = &w.pending, topic = &w.pending_topic; break;
  }
  const std::string_view body = fuzz_text(data + 1, size - 1);
  std::string message;
  if (raw) {
    message = std::string(body);
  } else {
    auto key = to->store->get_key(*topic);
    FUZZ_ASSERT(key && *key);
    message = wire::seal_type0(**key, body, w.rng);
  }
  auto handled = to->engine->on_message(*topic, message);
  if (!handled) {
    std::fprintf(stderr, "on_message failed: %s\n", handled.error().message.c_str());
    FUZZ_ASSERT(handled);
  }
  for (auto& action : to->engine->take_actions()) {
    if (auto* dropped = std::get_if<MessageDropped>(&action)) FUZZ_ASSERT(!dropped->reason.empty());
  }
  return 0;
}
