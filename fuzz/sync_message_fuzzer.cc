// Feeds a whole SyncState hostile sync messages. A world is set up once (fixed seed): an account with
// three devices, a, b and a removed c, and b's state, ring and list. Each input is one message to b:
//   byte 0, bit 0 clear: the rest is the message bytes as they came off the relay (raw);
//   byte 0, bit 0 set: the rest is a plaintext batch that the fuzzer seals with the group key and signs
//     as a (bit 1 clear) or as the removed c (bit 1 set), so the batch decoder and the state are reached.
// Nothing may crash; a refusal must say why and change nothing; a message from c is always refused; the
// state must stay storable (encode, decode, encode gives the same bytes).
#include <cstddef>
#include <cstdint>
#include <memory>

#include "fuzz_util.h"
#include "keylink/crypto/aead.h"
#include "keylink/sync/sync_message.h"

using namespace keylink;
using namespace keylink::sync;

namespace {

constexpr int kInputsPerWorld = 5000;

struct World {
  World()
      : rng(5),
        identity(crypto::Secp256k1PrivateKey::generate(rng)),
        a(InstallationKeys::generate(rng)),
        b(InstallationKeys::generate(rng)),
        c(InstallationKeys::generate(rng)),
        state(b.id()) {
    InstallationList current;
    for (const InstallationKeys* keys : {&a, &b, &c}) {
      auto record = make_installation_record(*keys, "device", "linux", 1, identity);
      FUZZ_ASSERT(record);
      if (current.version == 0) {
        current = make_first_list(record->installation, identity);
      } else {
        auto next = append_installation(current, *record, identity);
        FUZZ_ASSERT(next);
        current = std::move(*next);
      }
    }
    auto removed = remove_installation(current, c.id(), identity);
    FUZZ_ASSERT(removed);
    list = std::move(*removed);
    ring.add(GroupKey::generate(1, rng));
  }

  // The message format of sync_message.h, around a plaintext the fuzzer chose.
  Bytes seal_raw(ByteView plaintext, const InstallationKeys& sender) {
    const GroupKey& key = ring.current();
    const crypto::AeadNonce nonce = rng.bytes<crypto::kAeadNonceSize>();
    Bytes epoch(8);
    for (int i = 0; i < 8; ++i)
      epoch[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(key.epoch() >> (56 - 8 * i));
    const Bytes header = concat(as_bytes("KLS1"), epoch, key.id(), sender.id(), nonce);
    const Bytes sealed = crypto::chacha20poly1305_seal(key.key(), nonce, plaintext, header);
    const std::uint32_t n = static_cast<std::uint32_t>(sealed.size());
    const Bytes length = {static_cast<std::uint8_t>(n >> 24), static_cast<std::uint8_t>(n >> 16),
                          static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)};
    const Bytes body = concat(header, length, sealed);
    return concat(body, sender.signing.sign(concat(as_bytes("keylink-sync-message-v1"), body)));
  }

  FixedRng rng;
  crypto::Secp256k1PrivateKey identity;
  InstallationKeys a, b, c;
  InstallationList list;
  GroupKeyRing ring;
  SyncState state;
  int inputs = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static std::unique_ptr<World> world;
  if (size == 0) return 0;
  if (!world || world->inputs > kInputsPerWorld) world = std::make_unique<World>();
  World& w = *world;
  ++w.inputs;
  const ByteView body(data + 1, size - 1);
  const bool sealed = (data[0] & 1) != 0;
  const bool from_removed = sealed && (data[0] & 2) != 0;
  const Bytes message = sealed ? w.seal_raw(body, from_removed ? w.c : w.a) : Bytes(body.begin(), body.end());
  const Bytes before = w.state.encode();
  auto received = receive_sync_message(message, w.ring, w.list, w.state);
  if (!received) {
    FUZZ_ASSERT(!received.error().message.empty());
    // A batch refused part way may have applied its first changes (receive applies in order, and only
    // the register limit can stop it then); a refusal before the batch decodes changes nothing.
    if (received.error().code != make_error_code(Errc::kTooLarge)) FUZZ_ASSERT(w.state.encode() == before);
  }
  if (from_removed) FUZZ_ASSERT(!received);
  const Bytes stored = w.state.encode();
  auto rebuilt = SyncState::decode(stored, w.b.id());
  FUZZ_ASSERT(rebuilt && rebuilt->encode() == stored);

  // The rest of what the group topic carries: the signer of a refused message, and account records
  // (lists and rotations), raw or sealed with the group key as a device would.
  if (auto signer = sync_message_signer(message); !signer) FUZZ_ASSERT(!signer.error().message.empty());
  const Bytes record = sealed ? seal_account_record(AccountRecordKind::kInstallationList, body, w.ring.current(), w.rng)
                              : Bytes(body.begin(), body.end());
  auto opened = open_account_record(record, w.ring);
  if (sealed) {
    FUZZ_ASSERT(opened && opened->payload == Bytes(body.begin(), body.end()));
    FUZZ_ASSERT(group_topic_message(record) == GroupTopicMessage::kAccountRecord);
  } else if (!opened) {
    FUZZ_ASSERT(!opened.error().message.empty());
  }
  if (opened) {
    if (auto list = decode_installation_list(opened->payload)) (void)judge_list(w.list, *list, w.identity.public_key());
    if (auto rotation = decode_key_rotation(opened->payload)) (void)open_rotation(*rotation, w.list, w.b);
  }
  return 0;
}
