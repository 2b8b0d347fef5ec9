// A message of a conversation, sealed for the network and opened from it, through the Keystore: XMTP V2
// (MessageV2 inside Message{v2}, on the conversation's topic) and, to read what older clients send, V1.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "keylink/base/result.h"
#include "keylink/identity/keystore.h"
#include "keylink/wire/xmtp/content.h"
#include "keylink/wire/xmtp/network_envelope.h"

namespace keylink::messaging {

struct DecodedMessage {
  std::string id;  // lowercase hex sha256 of the Message bytes, as xmtp-js names messages
  std::string topic;
  std::string sender_address;  // EIP-55: the wallet that signed the sender's identity key
  std::uint64_t sent_ns = 0;   // the header's created_ns
  Bytes content;               // the EncodedContent, exactly as signed
  wire::xmtp::EncodedContent decoded;
};

// The envelope of a new message (content: an encoded EncodedContent) on a V2 conversation's topic,
// signed and encrypted by the keystore. sent_ns is both the header's created_ns and the envelope's
// timestamp.
Result<wire::xmtp::Envelope> seal_message(identity::Keystore& keystore, const std::string& topic, const Bytes& content,
                                          std::uint64_t sent_ns);

// Opens the envelopes of one V2 conversation, one keystore batch for all of them. Each fails on its
// own, naming why: not a V2 message, a header for another topic than the envelope's (a message moved
// from elsewhere), a ciphertext the conversation's key does not open, content not signed by the pre-key
// of a bundle signed by a wallet, content that does not decode.
std::vector<Result<DecodedMessage>> open_messages(identity::Keystore& keystore,
                                                  std::span<const wire::xmtp::Envelope> envelopes);

// Opens V1 envelopes (Message{v1}: a direct-message topic, or an intro topic where each V1 conversation
// begins), one keystore batch for all. A message's topic is the DM topic of the two wallets its header
// names, whichever topic it came on. Each fails on its own: not a V1 message, a party whose keys are not
// signed by a wallet, a ciphertext this identity cannot open, content that does not decode.
std::vector<Result<DecodedMessage>> open_messages_v1(identity::Keystore& keystore,
                                                     std::span<const wire::xmtp::Envelope> envelopes);

}  // namespace keylink::messaging
