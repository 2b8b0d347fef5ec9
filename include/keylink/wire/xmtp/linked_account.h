// The messaging account as a device link carries it to a new device (keylink's schema
// keylink.link.LinkedAccount, src/wire/proto/keylink/linked_account.proto): the identity's private key
// bundle and every conversation with its key, in XMTP's own messages (PrivateKeyBundle{v1},
// InvitationV1), as XMTP's keystore keeps them. The link layer carries the encoded bytes sealed; they are
// a secret, and so is what decode returns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "keylink/base/bytes.h"
#include "keylink/base/result.h"
#include "keylink/base/secret.h"
#include "keylink/crypto/ethereum.h"
#include "keylink/wire/xmtp/invitation.h"
#include "keylink/wire/xmtp/private_keys.h"

namespace keylink::wire::xmtp {

inline constexpr std::size_t kMaxLinkedAccountSize = 32 * 1024 * 1024;
inline constexpr std::size_t kMaxLinkedConversations = 100'000;

struct LinkedConversation {
  std::string topic;
  std::uint64_t created_ns = 0;
  std::string peer_address;
  std::optional<InvitationV1> invitation;  // V2 (its key); none for V1
};

struct LinkedAccount {
  PrivateKeyBundleV1 identity;
  crypto::EthAddress wallet;
  std::vector<LinkedConversation> conversations;
};

// One message of the history a link streams to the new device (keylink.link.HistoryMessage), as the
// message cache keeps it; a chunk is at most kMaxHistoryChunkSize encoded.
struct HistoryMessage {
  std::string id;
  std::string topic;
  std::string sender_address;
  std::uint64_t sent_ns = 0;
  Bytes content;  // an encoded EncodedContent

  friend bool operator==(const HistoryMessage&, const HistoryMessage&) = default;
};
inline constexpr std::size_t kMaxHistoryChunkSize = 1 << 20;

// Refuses input over kMaxLinkedAccountSize, more than kMaxLinkedConversations, a bundle that is not V1
// or does not check out (decode_private_key_bundle), a bad wallet address, and a V2 conversation whose
// invitation names another topic.
Result<LinkedAccount> decode_linked_account(ByteView bytes);
SecretBytes encode(const LinkedAccount& account);
// Refuses input over kMaxHistoryChunkSize and a message without id, topic or sender.
Result<std::vector<HistoryMessage>> decode_history_chunk(ByteView bytes);
Bytes encode_history_chunk(const std::vector<HistoryMessage>& messages);
SecretBytes encode_linked_account(const PrivateKeyBundleV1& identity, const crypto::EthAddress& wallet,
                                  const std::vector<LinkedConversation>& conversations);

}  // namespace keylink::wire::xmtp
