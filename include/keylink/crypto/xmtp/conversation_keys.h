// The keys of an XMTP V2 conversation, derived from a 3DH secret (three_dh.h), and the per-sender HMAC
// of its messages. Addresses are compared and joined as the exact strings given (xmtp-js passes EIP-55
// checksummed addresses and sorts them as strings). Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "keylink/base/bytes.h"
#include "keylink/base/secret.h"
#include "keylink/crypto/hash.h"

namespace keylink::crypto::xmtp {

// The deterministic invitation (xmtp-js >= 9.4): the same two identities and conversation id always
// give the same topic and key, whichever side creates it.
struct InvitationKeys {
  std::string topic;        // "/xmtp/0/m-" + hex(HMAC-SHA256(secret, id + sorted addresses joined by ","))
  Secret<32> key_material;  // HKDF-SHA256(secret, "__XMTP__INVITATION__SALT__XMTP__", "0|" + a + "|" + b)
};

// The 3DH side to take: the side whose address sorts first is the recipient, so both derive one secret.
bool invitation_is_recipient(std::string_view my_address, std::string_view their_address);

// REQUIRES: secret is the 3DH secret computed with invitation_is_recipient().
InvitationKeys derive_invitation_keys(ByteView secret, std::string_view conversation_id, std::string_view my_address,
                                      std::string_view their_address);

// HMAC-SHA256(sender_hmac_key(key_material, period, sender address), header_bytes), where period =
// floor(unix seconds / (30 days)).
Digest32 sender_hmac(const Secret<32>& key_material, std::int64_t thirty_day_period, std::string_view sender_address,
                     ByteView header_bytes);
std::int64_t thirty_day_period(std::int64_t unix_seconds);
// HKDF-SHA256(key_material, salt = empty, info = "<period>-<sender address>"): the key a reader checks
// one sender's HMACs with, without the conversation's key material.
Secret<32> sender_hmac_key(const Secret<32>& key_material, std::int64_t thirty_day_period,
                           std::string_view sender_address);

// The text a wallet signs (EIP-191) to vouch for an identity key:
// "XMTP : Create Identity\n" + lowercase hex(unsigned key bytes) + "\n\nFor more info: https://xmtp.org/signatures/".
std::string create_identity_text(ByteView unsigned_key_bytes);

}  // namespace keylink::crypto::xmtp
