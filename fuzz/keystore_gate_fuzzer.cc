// Feeds arbitrary calls to the wallet's Gate, as an app (or anyone who holds a session key) can send
// them. The input is JSON: {"method": text, "params": any, "channel": text, "sign": counter,
// "advance_s": seconds}; anything else is the params of xmtp_decryptV2 on the approved channel. With
// "sign", the params are replaced by the app's own signed request (its req taken from params.req when
// that is base64), so that the fuzzer reaches the checks behind the signature: counters, scopes, rate
// limits, expiry. Nothing may crash; every refusal must say why; an answer is the handler's fixed reply
// or a refusal; every call that ran adds exactly one entry to the audit log, a refusal at most one
// (those that did not prove themselves are logged at a rate), and the log keeps checking out.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "fuzz_util.h"
#include "keylink/base/clock.h"
#include "keylink/base/encoding.h"
#include "keylink/keystore/app_request.h"
#include "keylink/keystore/gate.h"

namespace {

using namespace keylink;

const std::string kTopic(64, 'a');
const Bytes kRes = {1, 2, 3};

crypto::Ed25519KeyPair app_key() { return crypto::Ed25519KeyPair::from_seed(Secret<32>(Bytes(32, 1))); }

struct Setup {
  Setup()
      : dir(make_dir()),
        db(store::Database::open((dir / "home.db").string(), {.synchronous = store::Synchronous::kOff}).value()),
        vault(store::Vault::open(db, SecretBytes(as_bytes(std::string_view("fuzz"))), rng, {1, std::size_t{8} << 20})
                  .value()),
        gate(db, vault, clock, rng) {
    gate.approvals()
        .grant(
            {.name = "Fuzz", .url = "https://fuzz.example", .origin = "unverified", .app_key = app_key().public_key()},
            {keystore::Scope::kRead, keystore::Scope::kSend}, kTopic, "0x9858EfFD232B4033E47d90003D41EC34EcaEda94", rng,
            clock.now())
        .value();
  }
  ~Setup() { std::filesystem::remove_all(dir); }

  static std::filesystem::path make_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "gate-fuzz-XXXXXX").string();
    if (!mkdtemp(pattern.data())) std::abort();
    return pattern;
  }

  std::filesystem::path dir;
  FixedRng rng{5};
  ManualClock clock;
  store::Database db;
  store::Vault vault;
  keystore::Gate gate;
  std::uint64_t calls = 0;
  std::uint64_t logged = 0;  // the newest entry's seq
};

// nlohmann's parser has no depth limit of its own.
bool shallow(std::string_view text) {
  int depth = 0;
  for (char c : text) {
    if (c == '[' || c == '{') ++depth;
    if (depth > 32) return false;
  }
  return true;
}

Bytes req_of(const wire::Json& params) {
  if (!params.is_object() || !params.contains("req") || !params["req"].is_string()) return {};
  return from_base64(params["req"].get<std::string>()).value_or(Bytes{});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Setup setup;
  const std::string_view text = fuzz_text(data, size);
  if (size > 1 << 16 || !shallow(text)) return 0;
  const wire::Json input = wire::Json::parse(text, nullptr, false);
  if (input.is_discarded()) return 0;

  std::string method = "xmtp_decryptV2";
  std::string channel = kTopic;
  wire::Json params = input;
  if (input.is_object() && input.contains("params")) {
    params = input["params"];
    if (input.contains("method") && input["method"].is_string()) method = input["method"].get<std::string>();
    if (input.contains("channel") && input["channel"].is_string()) channel = input["channel"].get<std::string>();
    if (input.contains("advance_s") && input["advance_s"].is_number_unsigned()) {
      setup.clock.advance(std::chrono::seconds(input["advance_s"].get<std::uint64_t>() % (40 * 86400)));
    }
    if (input.contains("sign") && input["sign"].is_number_unsigned()) {
      const std::uint64_t counter = input["sign"].get<std::uint64_t>() % keystore::kMaxAppCounter + 1;
      params = keystore::app_request_params(app_key(), channel, method, req_of(params), counter);
    }
  }

  const keystore::KeystoreHandler handler = [](std::string_view, ByteView) {
    return keystore::ServiceReply{kRes, 1, {"/xmtp/0/m-fuzz/proto"}};
  };
  const auto answer = setup.gate.answer(channel, method, params, handler);
  if (answer) {
    FUZZ_ASSERT(*answer == (wire::Json{{"res", to_base64(kRes)}}));
    FUZZ_ASSERT(keystore::find_method(method).has_value());
  } else {
    FUZZ_ASSERT(!answer.error().message.empty());
  }
  ++setup.calls;
  const auto newest = setup.gate.audit_log().list(1);
  FUZZ_ASSERT(newest && newest->size() <= 1);
  const std::uint64_t seq = newest->empty() ? 0 : newest->front().seq;
  FUZZ_ASSERT(seq == setup.logged || seq == setup.logged + 1);
  if (answer) FUZZ_ASSERT(seq == setup.logged + 1);
  if (seq == setup.logged + 1) {
    FUZZ_ASSERT(newest->front().outcome == (answer ? "ok" : std::to_string(answer.error().code)));
  }
  setup.logged = seq;
  if (setup.calls % 512 == 0) FUZZ_ASSERT(setup.gate.audit_log().verify().has_value());
  return 0;
}
