// Feeds arbitrary requests to a wallet's KeystoreService over a LocalKeystore with a real conversation,
// as an approved app can: the first byte picks the method (the table of keylink/keystore/rpc.h, then
// getPrivateKeyBundle and an unknown name), the rest is the request protobuf. Nothing may crash; every
// refusal must say why; a batch answer has one slot per item, never more than kMaxBatch; no signature it
// gives is by the identity key. The setup is deterministic (fixed keys, randomness and clock), so the
// corpus' seeds (a valid request of each kind for this setup) stay valid: KEYLINK_FUZZ_WRITE_SEEDS=DIR
// writes them.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>

#include "fuzz_util.h"
#include "keylink/base/clock.h"
#include "keylink/crypto/secp256k1.h"
#include "keylink/identity/eth_account.h"
#include "keylink/identity/xmtp_identity.h"
#include "keylink/keystore/local_keystore.h"
#include "keylink/keystore/rpc.h"
#include "keylink/keystore/service.h"
#include "keylink/wire/xmtp/keystore_api.h"
#include "keylink/wire/xmtp/message.h"
#include "keylink/wire/xmtp/topics.h"

namespace {

using namespace keylink;
namespace wx = wire::xmtp;
namespace kapi = wire::xmtp::keystore_api;

constexpr std::uint64_t kNow = 1'700'000'000'000'000'000;

struct Home {
  Home(const std::filesystem::path& dir, std::uint8_t key_byte, const Clock& clock)
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
                .value()) {}
  FixedRng rng;
  store::Database db;
  store::Vault vault;
  std::unique_ptr<keystore::LocalKeystore> keystore;
};

// The methods the first byte picks from.
std::string_view method_at(std::uint8_t index) {
  const auto table = keystore::methods();
  const std::size_t count = table.size() + 2;
  const std::size_t i = index % count;
  if (i < table.size()) return table[i].name;
  return i == table.size() ? "xmtp_getPrivateKeyBundle" : "xmtp_unknown";
}

std::uint8_t index_of(std::string_view method) {
  const auto table = keystore::methods();
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (table[i].name == method) return static_cast<std::uint8_t>(i);
  }
  std::abort();
}

struct Setup {
  Setup()
      : dir(make_dir()),
        clock(TimePoint(std::chrono::nanoseconds(kNow))),
        wallet(dir, 1, clock),
        peer(dir, 2, clock),
        service(*wallet.keystore, clock) {
    auto invite = peer.keystore->create_invite({wallet.keystore->public_key_bundle(), "", {}, kNow}).value();
    topic = invite.conversation.topic;
    const kapi::SaveInviteItem save{
        wx::invite_topic(crypto::EthAddress::parse(wallet.keystore->account_address()).value()), kNow,
        invite.sealed_invitation};
    const identity::SaveInviteRequest saved{save.content_topic, save.timestamp_ns, save.payload};
    if (!wallet.keystore->save_invites({&saved, 1}).at(0)) std::abort();
    if (const char* seeds = std::getenv("KEYLINK_FUZZ_WRITE_SEEDS")) write_seeds(seeds, save);
  }
  ~Setup() { std::filesystem::remove_all(dir); }

  void write_seeds(const std::filesystem::path& to, const kapi::SaveInviteItem& save) {
    const Bytes header = wx::encode(wx::MessageHeaderV2{kNow, topic});
    const identity::EncryptV2Request encrypt{Bytes{0x0a, 0x00}, header, topic};
    auto sealed = peer.keystore->encrypt_v2({&encrypt, 1});
    const kapi::DecryptV2Item decrypt{sealed.at(0) ? sealed[0]->ciphertext : wx::Ciphertext{}, header, topic};
    write(to / "decrypt_v2", "xmtp_decryptV2", kapi::encode_decrypt_v2_request({&decrypt, 1}));
    const kapi::EncryptV2Item encrypt_item{encrypt.content, header, topic};
    write(to / "encrypt_v2", "xmtp_encryptV2", kapi::encode_encrypt_v2_request({&encrypt_item, 1}));
    write(to / "save_invites", "xmtp_saveInvites", kapi::encode_save_invites_request({&save, 1}));
    write(to / "sign_digest", "xmtp_signDigest", kapi::encode_sign_digest_request({Bytes(32, 1), std::nullopt, 0u}));
    write(to / "sign_digest_identity", "xmtp_signDigest",
          kapi::encode_sign_digest_request({Bytes(32, 1), true, std::nullopt}));
    write(to / "auth_token", "xmtp_createAuthToken", kapi::encode_create_auth_token_request(kNow));
    write(to / "hmac_keys", "xmtp_getV2ConversationHmacKeys",
          kapi::encode_get_conversation_hmac_keys_request({&topic, 1}));
    write(to / "refresh_job", "xmtp_setRefreshJob",
          kapi::encode_set_refresh_job_request({kapi::JobType::kRefreshV1, 5}));
    const Bytes payload = {1, 2, 3};
    write(to / "self_decrypt", "xmtp_selfDecrypt",
          kapi::encode_self_decrypt_request({&wallet.keystore->self_encrypt({&payload, 1}).at(0).value(), 1}));
    const auto bundle = peer.keystore->legacy_public_key_bundle();
    const kapi::EncryptV1Item v1{
        bundle, Bytes{1}, wx::encode(wx::MessageHeaderV1{wallet.keystore->legacy_public_key_bundle(), bundle, 5})};
    write(to / "encrypt_v1", "xmtp_encryptV1", kapi::encode_encrypt_v1_request({&v1, 1}));
  }

  static std::filesystem::path make_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "keystore-fuzz-XXXXXX").string();
    if (!mkdtemp(pattern.data())) std::abort();
    return pattern;
  }
  static void write(const std::filesystem::path& path, std::string_view method, const Bytes& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.put(static_cast<char>(index_of(method)));
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }

  std::filesystem::path dir;
  ManualClock clock;
  Home wallet;
  Home peer;
  keystore::KeystoreService service;
  std::string topic;
};

// The slot count of a batch method's answer, or -1 for a method that is not a batch.
long slots_of(std::string_view method, ByteView answer) {
  constexpr std::size_t kAny = keystore::kMaxBatch;
  if (method == "xmtp_decryptV1" || method == "xmtp_decryptV2" || method == "xmtp_selfDecrypt") {
    auto decoded = kapi::decode_decrypt_response(answer, kAny);
    FUZZ_ASSERT(decoded.has_value());
    return static_cast<long>(decoded->size());
  }
  if (method == "xmtp_encryptV1" || method == "xmtp_encryptV2") {
    auto decoded = kapi::decode_encrypt_response(answer, kAny);
    FUZZ_ASSERT(decoded.has_value());
    return static_cast<long>(decoded->size());
  }
  if (method == "xmtp_selfEncrypt") {
    auto decoded = kapi::decode_self_encrypt_response(answer, kAny);
    FUZZ_ASSERT(decoded.has_value());
    return static_cast<long>(decoded->size());
  }
  if (method == "xmtp_saveInvites") {
    auto decoded = kapi::decode_save_invites_response(answer, kAny);
    FUZZ_ASSERT(decoded.has_value());
    return static_cast<long>(decoded->size());
  }
  return -1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Setup setup;
  if (size == 0) return 0;
  const auto method = method_at(data[0]);
  auto reply = setup.service.handle(method, ByteView(data + 1, size - 1));
  FUZZ_ASSERT(reply.items <= keystore::kMaxBatch);
  if (!reply.result) {
    FUZZ_ASSERT(!reply.result.error().message.empty());
    return 0;
  }
  const long slots = slots_of(method, *reply.result);
  FUZZ_ASSERT(slots < 0 || static_cast<std::size_t>(slots) == reply.items);
  if (method == "xmtp_signDigest") {
    auto signature = wx::decode_signature(*reply.result);
    auto request = kapi::decode_sign_digest_request(ByteView(data + 1, size - 1));
    FUZZ_ASSERT(signature.has_value() && request.has_value());
    crypto::Digest32 digest{};
    std::copy(request->digest.begin(), request->digest.end(), digest.begin());
    const auto& identity_key = setup.wallet.keystore->legacy_public_key_bundle().identity_key.key;
    FUZZ_ASSERT(!crypto::secp256k1_verify(identity_key, digest, signature->value.compact));
  }
  return 0;
}
