#include "keylink/base/rng.h"

#include <sodium.h>

#include "keylink/base/check.h"

namespace keylink {

SystemRng::SystemRng() { KEYLINK_CHECK(sodium_init() >= 0); }

void SystemRng::fill(std::span<std::uint8_t> out) { randombytes_buf(out.data(), out.size()); }

FixedRng::FixedRng(std::uint64_t seed) {
  for (size_t i = 0; i < 8; ++i) key_[i] = static_cast<uint8_t>(seed >> (8 * i));
}

void FixedRng::push(ByteView bytes) { queued_.insert(queued_.end(), bytes.begin(), bytes.end()); }

void FixedRng::fill(std::span<std::uint8_t> out) {
  size_t i = 0;
  for (; i < out.size() && !queued_.empty(); ++i) {
    out[i] = queued_.front();
    queued_.pop_front();
  }
  if (i == out.size()) return;
  // Each call takes a fresh nonce, so the stream never repeats.
  std::array<uint8_t, crypto_stream_chacha20_ietf_NONCEBYTES> nonce{};
  for (size_t b = 0; b < 8; ++b) nonce[b] = static_cast<uint8_t>(counter_ >> (8 * b));
  ++counter_;
  crypto_stream_chacha20_ietf(out.data() + i, out.size() - i, nonce.data(), key_.data());
}

}  // namespace keylink
