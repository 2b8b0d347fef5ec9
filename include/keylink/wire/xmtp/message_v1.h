// Sealing and opening XMTP V1 messages (the direct-message topics), as xmtp-js 13 MessageV1.encode and
// its keystore's encryptV1 / decryptV1 do:
//   header     = MessageHeaderV1{sender = my public bundle, recipient = the peer's, timestamp (ms)}
//   secret     = shared_secret(my V1 bundle, my pre-key, peer bundle, is_recipient) (private_keys.h);
//                the sender encrypts as the non-recipient side, the recipient mirrors it
//   ciphertext = crypto::xmtp::seal(secret, payload, aad = the header bytes)
// The payload is an encoded EncodedContent (content.h); V1 messages carry no signature of their own:
// who sent one is whoever holds the sender bundle's keys (sender_wallet names the wallet behind it).
// Thread-safe.
#pragma once

#include <cstdint>

#include "keylink/base/bytes.h"
#include "keylink/base/result.h"
#include "keylink/base/rng.h"
#include "keylink/crypto/ethereum.h"
#include "keylink/wire/xmtp/keys.h"
#include "keylink/wire/xmtp/message.h"
#include "keylink/wire/xmtp/private_keys.h"

namespace keylink::wire::xmtp {

// A message from `mine` (with its first pre-key) to `recipient`, sent at timestamp_ms.
// REQUIRES: mine has a pre-key. Fails with crypto::Errc::kBadSignature when the recipient's pre-key is not
// signed by its identity key.
Result<MessageV1> seal_message_v1(const PrivateKeyBundleV1& mine, const PublicKeyBundle& recipient, ByteView payload,
                                  std::uint64_t timestamp_ms, Rng& rng);

// The payload of a message sent by or to `mine`: the side is found from the header (my identity key as
// sender or as recipient), and the pre-key of mine that the header names is used, so a message sent
// before a pre-key rotation still opens. Fails with Errc::kMalformed when the header names neither me
// nor a pre-key of mine, crypto::Errc::kBadSignature when the peer's pre-key is not signed by its
// identity key, crypto::Errc::kDecryptFailed when the header or ciphertext was altered.
Result<Bytes> open_message_v1(const PrivateKeyBundleV1& mine, const MessageV1& message);

// The wallet that signed the sender's identity key (EIP-191 over create_identity_text of the key encoded
// without its signature), as xmtp-js MessageV1.senderAddress. Fails with crypto::Errc::kBadSignature.
Result<crypto::EthAddress> sender_wallet(const MessageHeaderV1& header);

}  // namespace keylink::wire::xmtp
