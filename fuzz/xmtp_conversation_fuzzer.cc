// Feeds arbitrary bytes to a Messenger with a real conversation, as anyone who can publish on a topic
// can: the first byte picks an invitation on Bob's invite topic or a message on the conversation's topic
// (the rest is the envelope's message). Nothing may crash; every refusal must say why; storage must not
// fail. The setup is deterministic (fixed keys, fixed randomness, a fixed clock), so the corpus' seeds
// (a valid invitation and message of this setup) stay valid: KEYLINK_FUZZ_WRITE_SEEDS=DIR writes them.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>

#include "fuzz_util.h"
#include "keylink/base/clock.h"
#include "keylink/identity/eth_account.h"
#include "keylink/identity/xmtp_identity.h"
#include "keylink/keystore/local_keystore.h"
#include "keylink/messaging/messenger.h"
#include "keylink/wire/xmtp/content_types.h"

namespace {

using namespace keylink;
namespace wx = wire::xmtp;

struct Home {
  Home(const std::filesystem::path& dir, std::uint8_t key_byte)
      : rng(key_byte),
        db(store::Database::open((dir / ("home" + std::to_string(key_byte) + ".db")).string()).value()),
        vault(store::Vault::open(db, SecretBytes(as_bytes(std::string_view("fuzz"))), rng, {1, std::size_t{8} << 20})
                  .value()),
        keystore(keystore::LocalKeystore::create(
                     db, vault,
                     identity::XmtpIdentity::create(
                         identity::EthAccount::import(db, vault, rng, Secret<32>(Bytes(32, key_byte))).value(), clock, rng)
                         .value(),
                     rng)
                     .value()),
        store(messaging::MessageStore::open(db, vault).value()),
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
    auto started = alice.messenger.start({bob.keystore->account_address(), bob.keystore->public_key_bundle(), 0}).value();
    for (const auto& envelope : started.envelopes) {
      if (envelope.content_topic == bob.messenger.invite_topic()) invitation = envelope;
    }
    conversation = bob.messenger.receive_invites({&invitation, 1}).value().conversations.at(0);
    message = alice.messenger.send(started.conversation, wx::encode_text("seed")).value().envelope;
    if (const char* seeds = std::getenv("KEYLINK_FUZZ_WRITE_SEEDS")) {
      write(std::filesystem::path(seeds) / "invitation", 1, invitation.message);
      write(std::filesystem::path(seeds) / "message", 0, message.message);
    }
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
  return 0;
}
