// How XMTP v2 traffic rides on keylink-relay (DESIGN.md, "The relay"): an XMTP topic maps to a relay
// topic the relay cannot read an address from, and an XMTP Envelope to a relay message text.
//
//   relay topic   = lowercase hex(sha256(xmtp content topic))        64 characters
//   relay message = base64 (standard, padded) of message_api.v1.Envelope{content_topic, timestamp_ns, message}
//   irn_publish   ttl kXmtpTtlSeconds (30 days), tag kXmtpRelayTag
//
// interop/xmtp_api_client.js implements the same mapping for xmtp-js. All functions are thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "keylink/base/result.h"
#include "keylink/wire/xmtp/network_envelope.h"

namespace keylink::wire::xmtp {

// XMTP's network keeps envelopes; the relay keeps them for the longest ttl it allows (its default
// --max-ttl), so that contacts, invitations and old messages can be queried back.
inline constexpr std::int64_t kXmtpTtlSeconds = 30 * 24 * 3600;  // 2592000

// The irn_publish tag of XMTP envelopes. WalletConnect uses 1100-1121 (pairing, session, auth); 9000 is
// outside every range WalletConnect or keylink assigns, so a relay or a log can tell XMTP traffic apart
// without reading it.
inline constexpr std::int64_t kXmtpRelayTag = 9000;

// The base64 text of the largest Envelope decode_envelope accepts (kMaxEnvelopeSize). Relays refuse
// messages over their own limit first (keylink-relay: 256 KiB by default).
inline constexpr std::size_t kMaxRelayPayloadSize = 4 * ((kMaxEnvelopeSize + 2) / 3);

// The relay topic of an XMTP content topic: lowercase hex(sha256(topic bytes)).
std::string relay_topic(std::string_view xmtp_topic);

// The relay message text of an envelope: standard padded base64 of its protobuf encoding.
std::string relay_payload(const Envelope& envelope);

// A relay message text back to an envelope. Fails with Errc::kTooLarge over kMaxRelayPayloadSize,
// Errc::kMalformed when the text is not standard padded base64 or its bytes are not an Envelope (the
// message says which). Says nothing about which topic the envelope belongs on: the caller checks that
// relay_topic(envelope.content_topic) is the topic it came on.
Result<Envelope> decode_relay_payload(std::string_view text);

}  // namespace keylink::wire::xmtp
