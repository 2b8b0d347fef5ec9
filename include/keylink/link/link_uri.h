// The link URI that the new device B shows as a QR code and as text, and device A reads:
//   wc:<topic>@2?methods=keylink_link&relay-protocol=irn&kl-pub=<hex X25519 key>&kl-code=<6 digits>
//      &expiryTimestamp=<unix s>&kl-caps=<light|light,full>[&kl-lan=<host:port>]
// topic: 32 random bytes in lowercase hex, where B listens; kl-pub: B's throwaway X25519 public key;
// kl-caps: what B offers to receive. B's name and platform are never in the URI (they travel sealed).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "keylink/base/clock.h"
#include "keylink/base/result.h"
#include "keylink/crypto/x25519.h"
#include "keylink/link/account.h"

namespace keylink::link {

inline constexpr std::size_t kMaxLinkUriLength = 1024;
inline constexpr std::size_t kMaxLanAddressLength = 262;  // "[" 253-byte host "]:" 5-digit port
inline constexpr std::chrono::seconds kLinkUriLifetime{300};

using LinkTopic = std::array<std::uint8_t, 32>;

struct LinkUri {
  LinkTopic topic{};
  crypto::X25519PublicKey joiner_key{};
  std::string code;         // kCodeDigits ASCII digits
  std::int64_t expiry = 0;  // unix seconds
  Capabilities caps = Capabilities::kLight;
  std::optional<std::string> lan;  // "host:port" or "[v6]:port"

  // Checks the form of every field and the expiry against `now`. Fails with kTooLarge, kMalformed,
  // kUnsupported (not a keylink_link URI, another relay protocol or version), or kExpired ("link URI
  // expired; make a new one on the new device"). Unknown parameters are ignored; a repeated one is an
  // error. Total: any text gives a LinkUri or an Error.
  static Result<LinkUri> parse(std::string_view text, TimePoint now);

  // The canonical form above (parameters in that order). parse(to_string()) gives the same fields.
  std::string to_string() const;
};

// The topic as the relay knows it: 64 lowercase hex digits.
std::string topic_text(const LinkTopic& topic);

// True for "host:port" (host: letters, digits, '.', '-'; at most 253 bytes) or "[v6]:port" (hex digits,
// ':' and '.'), port 1..65535.
bool is_lan_address(std::string_view text) noexcept;

}  // namespace keylink::link
