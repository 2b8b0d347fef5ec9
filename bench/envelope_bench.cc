// The cost of a 1 KiB WalletConnect type-0 envelope: raw libsodium ChaCha20-Poly1305 (the baseline),
// keylink's seal_type0 / Envelope::decode + open (base64 text, what goes on the relay), the same
// framing without base64, and the parts the difference is made of (base64, nonce, allocation).
//
// Crypto-cost comparisons draw the nonce from a FixedRng (a ChaCha20 stream, no system call), so that
// they measure our code rather than getrandom(); BM_Keylink_SealType0_SystemRng shows the real thing.
// bench/run-envelope-bench prints these beside @walletconnect/utils; docs/benchmarks.md has the figures.
#include <benchmark/benchmark.h>
#include <sodium.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "keylink/base/encoding.h"
#include "keylink/base/rng.h"
#include "keylink/base/secret.h"
#include "keylink/crypto/aead.h"
#include "keylink/wire/envelope.h"

namespace {

using namespace keylink;

constexpr std::size_t kPlaintextSize = 1024;
constexpr std::size_t kHeaderSize = 1 + crypto::kAeadNonceSize;  // type 0: type byte ‖ nonce
constexpr std::size_t kFrameSize = kHeaderSize + kPlaintextSize + crypto::kAeadTagSize;

// A JSON-RPC-looking plaintext of exactly 1 KiB.
std::string plaintext() {
  std::string text = R"({"id":1700000000000000000,"jsonrpc":"2.0","method":"wc_sessionRequest","params":{"x":")";
  text.resize(kPlaintextSize - 3, 'a');
  return text + "\"}}";
}

struct Fixture {
  Fixture() {
    KEYLINK_CHECK(sodium_init() >= 0);
    FixedRng rng(7);
    key = Secret<32>(ByteView(rng.bytes<32>()));
    nonce = rng.bytes<crypto::kAeadNonceSize>();
  }
  Secret<32> key;
  crypto::AeadNonce nonce{};
  std::string message = plaintext();
};

const Fixture& fixture() {
  static const Fixture f;
  return f;
}

void count_bytes(benchmark::State& state) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kPlaintextSize));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// ---- the baseline: raw libsodium, caller-owned buffers, nothing else --------------------------

void BM_Sodium_Encrypt(benchmark::State& state) {
  const auto& f = fixture();
  std::array<std::uint8_t, kPlaintextSize + crypto::kAeadTagSize> out{};
  for (auto _ : state) {
    unsigned long long written = 0;
    crypto_aead_chacha20poly1305_ietf_encrypt(out.data(), &written, as_bytes(f.message).data(), f.message.size(),
                                              nullptr, 0, nullptr, f.nonce.data(), f.key.expose().data());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  count_bytes(state);
}
BENCHMARK(BM_Sodium_Encrypt);

void BM_Sodium_Decrypt(benchmark::State& state) {
  const auto& f = fixture();
  std::array<std::uint8_t, kPlaintextSize + crypto::kAeadTagSize> sealed{};
  unsigned long long written = 0;
  crypto_aead_chacha20poly1305_ietf_encrypt(sealed.data(), &written, as_bytes(f.message).data(), f.message.size(),
                                            nullptr, 0, nullptr, f.nonce.data(), f.key.expose().data());
  std::array<std::uint8_t, kPlaintextSize> out{};
  for (auto _ : state) {
    unsigned long long opened = 0;
    const int rc = crypto_aead_chacha20poly1305_ietf_decrypt(out.data(), &opened, nullptr, sealed.data(), sealed.size(),
                                                             nullptr, 0, f.nonce.data(), f.key.expose().data());
    benchmark::DoNotOptimize(rc);
    benchmark::ClobberMemory();
  }
  count_bytes(state);
}
BENCHMARK(BM_Sodium_Decrypt);

// The raw equivalent of a seal with SystemRng: the nonce from randombytes_buf, then encrypt.
void BM_Sodium_EncryptRandomNonce(benchmark::State& state) {
  const auto& f = fixture();
  std::array<std::uint8_t, kPlaintextSize + crypto::kAeadTagSize> out{};
  crypto::AeadNonce nonce{};
  for (auto _ : state) {
    randombytes_buf(nonce.data(), nonce.size());
    unsigned long long written = 0;
    crypto_aead_chacha20poly1305_ietf_encrypt(out.data(), &written, as_bytes(f.message).data(), f.message.size(),
                                              nullptr, 0, nullptr, nonce.data(), f.key.expose().data());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  count_bytes(state);
}
BENCHMARK(BM_Sodium_EncryptRandomNonce);

// ---- keylink: the base64 text that goes on the relay ---------------------------------------------

template <class R>
void BM_Keylink_SealType0(benchmark::State& state) {
  const auto& f = fixture();
  R rng;
  for (auto _ : state) {
    std::string text = wire::seal_type0(f.key, f.message, rng);
    benchmark::DoNotOptimize(text.data());
  }
  count_bytes(state);
}
BENCHMARK(BM_Keylink_SealType0<FixedRng>)->Name("BM_Keylink_SealType0_FixedRng");
BENCHMARK(BM_Keylink_SealType0<SystemRng>)->Name("BM_Keylink_SealType0_SystemRng");

void BM_Keylink_DecodeOpen(benchmark::State& state) {
  const auto& f = fixture();
  FixedRng rng;
  const std::string text = wire::seal_type0(f.key, f.message, rng);
  auto check = wire::Envelope::decode(text).and_then([&](const wire::Envelope& e) { return e.open(f.key); });
  if (!check || *check != f.message) state.SkipWithError("seal_type0 then open does not give the message back");
  for (auto _ : state) {
    auto envelope = wire::Envelope::decode(text);
    auto message = envelope->open(f.key);
    benchmark::DoNotOptimize(message->data());
  }
  count_bytes(state);
}
BENCHMARK(BM_Keylink_DecodeOpen);

// ---- keylink: the same framing without base64, into a buffer the caller owns -------------------

void BM_Keylink_FrameSeal(benchmark::State& state) {
  const auto& f = fixture();
  FixedRng rng;
  std::array<std::uint8_t, kFrameSize> frame{};
  for (auto _ : state) {
    crypto::AeadNonce nonce;
    rng.fill(nonce);
    frame[0] = 0;  // type 0
    std::copy(nonce.begin(), nonce.end(), frame.begin() + 1);
    crypto::chacha20poly1305_seal_into(f.key, nonce, as_bytes(f.message), {}, std::span(frame).subspan(kHeaderSize));
    benchmark::DoNotOptimize(frame.data());
    benchmark::ClobberMemory();
  }
  count_bytes(state);
}
BENCHMARK(BM_Keylink_FrameSeal);

void BM_Keylink_FrameOpen(benchmark::State& state) {
  const auto& f = fixture();
  std::array<std::uint8_t, kFrameSize> frame{};
  std::copy(f.nonce.begin(), f.nonce.end(), frame.begin() + 1);
  crypto::chacha20poly1305_seal_into(f.key, f.nonce, as_bytes(f.message), {}, std::span(frame).subspan(kHeaderSize));
  std::array<std::uint8_t, kPlaintextSize> out{};
  for (auto _ : state) {
    crypto::AeadNonce nonce;
    std::copy(frame.begin() + 1, frame.begin() + kHeaderSize, nonce.begin());
    auto opened = crypto::chacha20poly1305_open_into(f.key, nonce, std::span(frame).subspan(kHeaderSize), {}, out);
    benchmark::DoNotOptimize(opened.has_value());
    benchmark::ClobberMemory();
  }
  count_bytes(state);
}
BENCHMARK(BM_Keylink_FrameOpen);

// ---- the parts: where the difference between the two groups above goes ------------------------

void BM_Part_AeadSealAllocating(benchmark::State& state) {  // chacha20poly1305_seal: a new Bytes per call
  const auto& f = fixture();
  for (auto _ : state) {
    Bytes sealed = crypto::chacha20poly1305_seal(f.key, f.nonce, as_bytes(f.message));
    benchmark::DoNotOptimize(sealed.data());
  }
  count_bytes(state);
}
BENCHMARK(BM_Part_AeadSealAllocating);

void BM_Part_Base64Encode(benchmark::State& state) {  // the 1053-byte frame to 1404 characters
  const Bytes frame(kFrameSize, 0x5a);
  for (auto _ : state) {
    std::string text = to_base64(frame);
    benchmark::DoNotOptimize(text.data());
  }
  count_bytes(state);
}
BENCHMARK(BM_Part_Base64Encode);

void BM_Part_Base64Decode(benchmark::State& state) {
  const std::string text = to_base64(Bytes(kFrameSize, 0x5a));
  for (auto _ : state) {
    auto frame = from_base64(text);
    benchmark::DoNotOptimize(frame->data());
  }
  count_bytes(state);
}
BENCHMARK(BM_Part_Base64Decode);

void BM_Part_EnvelopeDecode(benchmark::State& state) {  // base64 + framing, no decryption
  const auto& f = fixture();
  FixedRng rng;
  const std::string text = wire::seal_type0(f.key, f.message, rng);
  for (auto _ : state) {
    auto envelope = wire::Envelope::decode(text);
    benchmark::DoNotOptimize(envelope->body.data());
  }
  count_bytes(state);
}
BENCHMARK(BM_Part_EnvelopeDecode);

void BM_Part_EnvelopeOpen(benchmark::State& state) {  // Envelope::open of a decoded envelope: AEAD + a new string
  const auto& f = fixture();
  FixedRng rng;
  const auto envelope = wire::Envelope::decode(wire::seal_type0(f.key, f.message, rng));
  for (auto _ : state) {
    auto message = envelope->open(f.key);
    benchmark::DoNotOptimize(message->data());
  }
  count_bytes(state);
}
BENCHMARK(BM_Part_EnvelopeOpen);

template <class R>
void BM_Part_Nonce(benchmark::State& state) {
  R rng;
  for (auto _ : state) {
    auto nonce = rng.template bytes<crypto::kAeadNonceSize>();
    benchmark::DoNotOptimize(nonce.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_Part_Nonce<FixedRng>)->Name("BM_Part_Nonce_FixedRng");
BENCHMARK(BM_Part_Nonce<SystemRng>)->Name("BM_Part_Nonce_SystemRng");

}  // namespace

BENCHMARK_MAIN();
