#include "keylink/wire/envelope.h"

#include <algorithm>

#include "keylink/base/encoding.h"
#include "keylink/wire/errors.h"

namespace keylink::wire {
namespace {

constexpr std::size_t kTypeSize = 1;
constexpr std::size_t kKeySize = 32;

// type ‖ [sender key] ‖ nonce ‖ ciphertext ‖ tag, sealed in place in one buffer.
std::string seal(EnvelopeType type, const crypto::X25519PublicKey* sender, const Secret<32>& sym_key,
                 std::string_view plaintext, Rng& rng) {
  const std::size_t header = kTypeSize + (sender ? kKeySize : 0) + crypto::kAeadNonceSize;
  Bytes bytes(header + plaintext.size() + crypto::kAeadTagSize);
  bytes[0] = static_cast<std::uint8_t>(type);
  if (sender) std::copy(sender->begin(), sender->end(), bytes.begin() + kTypeSize);
  crypto::AeadNonce nonce;
  rng.fill(nonce);
  std::copy(nonce.begin(), nonce.end(), bytes.begin() + static_cast<std::ptrdiff_t>(header - nonce.size()));
  crypto::chacha20poly1305_seal_into(sym_key, nonce, as_bytes(plaintext), {}, std::span(bytes).subspan(header));
  return to_base64(bytes);
}

}  // namespace

std::string seal_type0(const Secret<32>& sym_key, std::string_view plaintext, Rng& rng) {
  return seal(EnvelopeType::kType0, nullptr, sym_key, plaintext, rng);
}

std::string seal_type1(const Secret<32>& sym_key, const crypto::X25519PublicKey& sender_public_key,
                       std::string_view plaintext, Rng& rng) {
  return seal(EnvelopeType::kType1, &sender_public_key, sym_key, plaintext, rng);
}

std::string encode_type2(std::string_view plaintext) {
  return to_base64(concat(Bytes{static_cast<std::uint8_t>(EnvelopeType::kType2)}, as_bytes(plaintext)));
}

Result<Envelope> Envelope::decode(std::string_view text, std::size_t max_text) {
  if (text.size() > max_text) {
    return fail(Errc::kTooLarge, "envelope of " + std::to_string(text.size()) + " bytes is over the limit of " +
                                     std::to_string(max_text));
  }
  auto bytes = from_base64(text);
  if (!bytes) return fail(Errc::kMalformed, "envelope is not standard padded base64");
  if (bytes->empty()) return fail(Errc::kMalformed, "envelope is empty");

  Envelope envelope;
  const std::uint8_t type = (*bytes)[0];
  if (type > static_cast<std::uint8_t>(EnvelopeType::kType2)) {
    return fail(Errc::kBadVersion, "envelope type " + std::to_string(type) + " is unknown (expected 0, 1 or 2)");
  }
  envelope.type = static_cast<EnvelopeType>(type);
  ByteView rest = ByteView(*bytes).subspan(kTypeSize);
  if (envelope.type == EnvelopeType::kType2) {
    bytes->erase(bytes->begin());
    envelope.body = std::move(*bytes);
    return envelope;
  }
  const std::size_t key_size = envelope.type == EnvelopeType::kType1 ? kKeySize : 0;
  if (rest.size() < key_size + crypto::kAeadNonceSize + crypto::kAeadTagSize) {
    return fail(Errc::kMalformed, "envelope of type " + std::to_string(type) + " is too short (" +
                                      std::to_string(bytes->size()) + " bytes)");
  }
  if (key_size != 0) {
    envelope.sender_public_key.emplace();
    std::copy_n(rest.begin(), key_size, envelope.sender_public_key->begin());
  }
  std::copy_n(rest.begin() + static_cast<std::ptrdiff_t>(key_size), crypto::kAeadNonceSize, envelope.nonce.begin());
  bytes->erase(bytes->begin(),
               bytes->begin() + static_cast<std::ptrdiff_t>(kTypeSize + key_size + crypto::kAeadNonceSize));
  envelope.body = std::move(*bytes);
  return envelope;
}

Result<std::string> Envelope::open(const Secret<32>& sym_key) const {
  if (type == EnvelopeType::kType2) {
    return fail(Errc::kBadVersion, "a type 2 envelope is not encrypted; it is valid only in link mode");
  }
  std::string plaintext(body.size() - crypto::kAeadTagSize, '\0');
  auto opened = crypto::chacha20poly1305_open_into(
      sym_key, nonce, body, {}, std::span(reinterpret_cast<std::uint8_t*>(plaintext.data()), plaintext.size()));
  if (!opened) return fail(context("envelope", opened.error()));
  return plaintext;
}

}  // namespace keylink::wire
