// XMTP V2 decrypt (docs/benchmarks.md, "XMTP V2 decrypt"; issue 5): how many 1 KiB messages a second a
// reader opens and checks, beside the bound set by the primitives every message costs.
//
//   BM_OpenMessagesV2   messaging::open_messages over Bob's LocalKeystore, batches of 100 envelopes from
//                       Alice: Message{v2} decode, header topic check, HKDF-SHA256 + AES-256-GCM open,
//                       SignedContent decode, the sender bundle's checks (once per batch and bundle), the
//                       content signature by the sender's pre-key, EncodedContent decode.
//   BM_PrimitivesBound  per message, the primitives alone: HKDF-SHA256 + AES-256-GCM open of a ciphertext
//                       of the same size, and one secp256k1 ECDSA verification over sha256(header ‖ content).
//   BM_SenderBundleCheck the checks a sender bundle needs (the pre-key's signature by the identity key, the
//                       wallet recovered from the identity key's signature): once per batch, not per message.
// bench/run-xmtp-bench runs this beside bench/xmtp_decrypt.js (xmtp-js 13 on the same work).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "keylink/base/clock.h"
#include "keylink/crypto/hash.h"
#include "keylink/crypto/xmtp/ciphertext.h"
#include "keylink/identity/eth_account.h"
#include "keylink/identity/xmtp_identity.h"
#include "keylink/keystore/local_keystore.h"
#include "keylink/messaging/message.h"
#include "keylink/store/database.h"
#include "keylink/store/vault.h"
#include "keylink/wire/xmtp/content.h"
#include "keylink/wire/xmtp/content_types.h"
#include "keylink/wire/xmtp/signatures.h"
#include "keylink/wire/xmtp/topics.h"

namespace {

using namespace keylink;
namespace wx = wire::xmtp;

constexpr std::size_t kBatch = 100;
constexpr std::size_t kMessageSize = 1024;
constexpr std::uint64_t kNowNs = 1'795'000'000'000'000'000;

// A home with a wallet and its keystore, in a directory of its own.
struct Home {
  explicit Home(const std::filesystem::path& dir, std::uint8_t key_byte)
      : rng(key_byte),
        db(store::Database::open((dir / ("home" + std::to_string(key_byte) + ".db")).string()).value()),
        vault(store::Vault::open(db, SecretBytes(as_bytes(std::string_view("bench"))), rng, {1, std::size_t{8} << 20})
                  .value()) {
    auto account = identity::EthAccount::import(db, vault, rng, Secret<32>(Bytes(32, key_byte))).value();
    keystore = keystore::LocalKeystore::create(db, vault, identity::XmtpIdentity::create(account, clock, rng).value(), rng)
                   .value();
  }
  FixedRng rng;
  ManualClock clock;
  store::Database db;
  store::Vault vault;
  std::unique_ptr<keystore::LocalKeystore> keystore;
};

// Alice's 100 messages to Bob on their V2 conversation, made once.
struct Conversation {
  Conversation() : dir(make_dir()), alice(dir, 1), bob(dir, 2) {
    auto invite = alice.keystore->create_invite({bob.keystore->public_key_bundle(), "", {}, kNowNs}).value();
    const auto bob_address = crypto::EthAddress::parse(bob.keystore->account_address()).value();
    const identity::SaveInviteRequest request{wx::invite_topic(bob_address), kNowNs, invite.sealed_invitation};
    topic = bob.keystore->save_invites({&request, 1}).front().value().topic;
    const Bytes content = wx::encode(wx::encode_text(std::string(kMessageSize, 'x')));
    for (std::size_t i = 0; i < kBatch; ++i) {
      envelopes.push_back(messaging::seal_message(*alice.keystore, topic, content, kNowNs + i).value());
    }
  }
  ~Conversation() { std::filesystem::remove_all(dir); }

  static std::filesystem::path make_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "xmtp-bench-XXXXXX").string();
    if (!mkdtemp(pattern.data())) std::abort();
    return pattern;
  }

  std::filesystem::path dir;
  Home alice;
  Home bob;
  std::string topic;
  std::vector<wx::Envelope> envelopes;
};

Conversation& conversation() {
  static Conversation made;
  return made;
}

void BM_OpenMessagesV2(benchmark::State& state) {
  auto& c = conversation();
  for (auto _ : state) {
    auto opened = messaging::open_messages(*c.bob.keystore, c.envelopes);
    if (!opened.back()) state.SkipWithError(opened.back().error().message.c_str());
    benchmark::DoNotOptimize(opened);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));
}
BENCHMARK(BM_OpenMessagesV2)->Unit(benchmark::kMicrosecond);

// The same sizes as a real message: the SignedContent around 1 KiB of text, a MessageHeaderV2.
void BM_PrimitivesBound(benchmark::State& state) {
  FixedRng rng(3);
  const Secret<32> key_material(Bytes(32, 9));
  const auto pre_key = crypto::Secp256k1PrivateKey::generate(rng);
  const Bytes header = wx::encode(wx::MessageHeaderV2{kNowNs, conversation().topic});
  const Bytes content = wx::encode(wx::encode_text(std::string(kMessageSize, 'x')));
  const auto signature = pre_key.sign_recoverable(crypto::sha256(concat(header, content)));
  // What the real ciphertext holds: the content, a sender bundle (about 300 bytes) and a signature.
  const Bytes plaintext = concat(content, Bytes(300 + 70, 0));
  const auto sealed = crypto::xmtp::seal(key_material.expose(), plaintext, header, rng);
  for (auto _ : state) {
    auto opened = crypto::xmtp::open(key_material.expose(), sealed, header);
    auto verified = crypto::secp256k1_verify(pre_key.public_key(), crypto::sha256(concat(header, content)),
                                             signature.compact);
    if (!opened || !verified) state.SkipWithError("bound: open or verify failed");
    benchmark::DoNotOptimize(opened);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_PrimitivesBound)->Unit(benchmark::kMicrosecond);

void BM_SenderBundleCheck(benchmark::State& state) {
  const auto bundle = conversation().alice.keystore->public_key_bundle();
  for (auto _ : state) {
    auto checked = wx::verify_pre_key(bundle);
    auto wallet = wx::wallet_address(bundle.identity_key);
    if (!checked || !wallet) state.SkipWithError("bundle check failed");
    benchmark::DoNotOptimize(wallet);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_SenderBundleCheck)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
