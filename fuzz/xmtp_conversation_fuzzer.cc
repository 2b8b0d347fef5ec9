// Feeds arbitrary bytes to a Messenger with a real conversation, as anyone who can publish on a topic
// can: the first byte picks an invitation on Bob's invite topic or a message on the conversation's topic
// (the rest is the envelope's message). Nothing may crash; every refusal must say why; storage must not
// fail; Bob's conversation with Alice never changes. The setup is deterministic (fixed keys, fixed randomness, a fixed
// clock), so the corpus' seeds (a valid invitation and message of this setup, and a stranger's invitation claiming its
// topic) stay valid: KEYLINK_FUZZ_WRITE_SEEDS=DIR writes them.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>

#include "fuzz_util.h"
#include "keylink/base/clock.h"
#include "keylink/crypto/xmtp/ciphertext.h"
#include "keylink/identity/eth_account.h"
#include "keylink/identity/xmtp_identity.h"
#include "keylink/keystore/local_keystore.h"
#include "keylink/messaging/messenger.h"
#include "keylink/wire/xmtp/content_types.h"
#include "keylink/wire/xmtp/invitation.h"
#include "keylink/wire/xmtp/private_keys.h"

namespace {

using namespace keylink;
namespace wx = wire::xmtp;

struct Home {
  Home(const std::filesystem::path& dir, std::uint8_t key_byte)
      : rng(key_byte),
        db(store::Database::open((dir / ("home" + std::to_string(key_byte) + ".db")).string()).value()),
        vault(store::Vault::open(db, SecretBytes(as_bytes(std::string_view("fuzz"))), rng, {1, std::size_t{8} << 20})
                  .value()),
        keystore(
            keystore::LocalKeystore::create(
                db, vault,
                identity::XmtpIdentity::create(
                    identity::EthAccount::import(db, vault, rng, Secret<32>(Bytes(32, key_byte))).value(), clock, rng)
                    .value(),
                rng)
                .value()),
        store(messaging::MessageStore::open(db, vault, rng).value()),
        messenger(*keystore, store, rng, clock) {}
  FixedRng rng;
  ManualClock clock;
  store::Database db;
  store::Vault vault;
  std::unique_ptr<keystore::LocalKeystore> keystore;
  messaging::MessageStore store;
  messaging::Messenger messenger;
};

struct Setup {
  Setup() : dir(make_dir()), alice(dir, 1), bob(dir, 2) {
    auto started =
        alice.messenger.start({bob.keystore->account_address(), bob.keystore->public_key_bundle(), 0}).value();
    for (const auto& envelope : started.envelopes) {
      if (envelope.content_topic == bob.messenger.invite_topic()) invitation = envelope;
    }
    conversation = bob.messenger.receive_invites({&invitation, 1}).value().conversations.at(0);
    message = alice.messenger.send(started.conversation, wx::encode_text("seed")).value().envelope;
    if (const char* seeds = std::getenv("KEYLINK_FUZZ_WRITE_SEEDS")) {
      write(std::filesystem::path(seeds) / "invitation", 1, invitation.message);
      write(std::filesystem::path(seeds) / "message", 0, message.message);
      write(std::filesystem::path(seeds) / "takeover_invitation", 1, takeover());
    }
  }

  // A stranger's own invitation to the topic of Bob's conversation with Alice, with a key of its own:
  // what one who learned the topic seals to take the conversation over (refused: kConflict).
  Bytes takeover() {
    auto db = store::Database::open((dir / "stranger.db").string()).value();
    auto vault =
        store::Vault::open(db, SecretBytes(as_bytes(std::string_view("fuzz"))), alice.rng, {1, std::size_t{8} << 20});
    auto wallet = identity::EthAccount::import(db, vault.value(), alice.rng, Secret<32>(Bytes(32, 3))).value();
    const auto stranger = identity::XmtpIdentity::create(wallet, alice.clock, alice.rng).value();
    const auto& mine = stranger.bundle_v2();
    const auto bobs = bob.keystore->public_key_bundle();
    wx::SealedInvitationHeaderV1 header{wx::public_bundle(mine), bobs, invitation.timestamp_ns};
    Bytes header_bytes = wx::encode(header);
    const wx::InvitationV1 claim{conversation.topic, "", {}, Secret<32>(Bytes(32, 0x5a)), std::nullopt};
    auto secret = wx::shared_secret(mine, mine.pre_keys.front().secret.public_key(), bobs, false).value();
    auto ciphertext = crypto::xmtp::seal(secret.expose(), wx::encode(claim), header_bytes, alice.rng);
    return wx::encode(wx::SealedInvitation{std::move(header_bytes), std::move(header), std::move(ciphertext)});
  }
  ~Setup() { std::filesystem::remove_all(dir); }

  static std::filesystem::path make_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "xmtp-fuzz-XXXXXX").string();
    if (!mkdtemp(pattern.data())) std::abort();
    return pattern;
  }
  static void write(const std::filesystem::path& path, std::uint8_t selector, const Bytes& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.put(static_cast<char>(selector));
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }

  std::filesystem::path dir;
  Home alice;
  Home bob;
  wx::Envelope invitation;
  wx::Envelope message;
  identity::ConversationReference conversation;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Setup setup;
  if (size == 0) return 0;
  const bool is_invitation = data[0] % 2 == 1;
  const wx::Envelope envelope{is_invitation ? setup.bob.messenger.invite_topic() : setup.conversation.topic,
                              (is_invitation ? setup.invitation : setup.message).timestamp_ns,
                              Bytes(data + 1, data + size)};
  auto received = is_invitation ? setup.bob.messenger.receive_invites({&envelope, 1})
                                : setup.bob.messenger.receive_messages(setup.conversation, {&envelope, 1});
  FUZZ_ASSERT(received.has_value());
  for (const auto& refusal : received->refused) FUZZ_ASSERT(!refusal.error.message.empty());
  // Whatever a stranger publishes, Bob's conversation with Alice stays as it was.
  auto with_alice = setup.bob.messenger.conversations(setup.conversation.peer_address);
  FUZZ_ASSERT(with_alice && with_alice->size() == 1 && with_alice->front() == setup.conversation);
  return 0;
}
