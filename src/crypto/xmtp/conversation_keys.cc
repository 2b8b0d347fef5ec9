#include "keylink/crypto/xmtp/conversation_keys.h"

#include <algorithm>

#include "keylink/base/encoding.h"

namespace keylink::crypto::xmtp {
namespace {

// xmtp-js keystore/InMemoryKeystore.ts: constant, 32 bytes, never changes.
constexpr std::string_view kInviteSalt = "__XMTP__INVITATION__SALT__XMTP__";
constexpr std::int64_t kThirtyDaysSeconds = 60LL * 60 * 24 * 30;

}  // namespace

bool invitation_is_recipient(std::string_view my_address, std::string_view their_address) {
  return my_address < their_address;
}

InvitationKeys derive_invitation_keys(ByteView secret, std::string_view conversation_id, std::string_view my_address,
                                      std::string_view their_address) {
  const auto [low, high] = std::minmax(my_address, their_address);
  // JS Array.join() with no separator argument joins with ",".
  const std::string topic_input = std::string(conversation_id) + std::string(low) + "," + std::string(high);
  const std::string info = "0|" + std::string(low) + "|" + std::string(high);
  return InvitationKeys{
      .topic = "/xmtp/0/m-" + to_hex(hmac_sha256(secret, as_bytes(topic_input))) + "/proto",
      .key_material = hkdf_sha256_32(secret, as_bytes(kInviteSalt), as_bytes(info)),
  };
}

Digest32 sender_hmac(const Secret<32>& key_material, std::int64_t thirty_day_period, std::string_view sender_address,
                     ByteView header_bytes) {
  return hmac_sha256(sender_hmac_key(key_material, thirty_day_period, sender_address).expose(), header_bytes);
}

Secret<32> sender_hmac_key(const Secret<32>& key_material, std::int64_t thirty_day_period,
                           std::string_view sender_address) {
  const std::string info = std::to_string(thirty_day_period) + "-" + std::string(sender_address);
  return hkdf_sha256_32(key_material.expose(), {}, as_bytes(info));
}

std::int64_t thirty_day_period(std::int64_t unix_seconds) {
  // Math.floor in JS: round toward minus infinity, also before 1970.
  std::int64_t period = unix_seconds / kThirtyDaysSeconds;
  if (unix_seconds % kThirtyDaysSeconds < 0) --period;
  return period;
}

std::string create_identity_text(ByteView unsigned_key_bytes) {
  return "XMTP : Create Identity\n" + to_hex(unsigned_key_bytes) + "\n\nFor more info: https://xmtp.org/signatures/";
}

}  // namespace keylink::crypto::xmtp
