// WalletConnect v2 pairing URIs (EIP-1328), as a QR code or pasted text carries them:
//   wc:<topic>@2?expiryTimestamp=…&methods=…&relay-protocol=irn&symKey=…
// with the parameters form-urlencoded and sorted by key, as @walletconnect/utils formats them.
// keylink's own parameters start with "kl-" and never change the meaning of WalletConnect's.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "keylink/base/clock.h"
#include "keylink/base/result.h"
#include "keylink/base/rng.h"
#include "keylink/base/secret.h"

namespace keylink::wire {

inline constexpr std::size_t kMaxUriLength = 2048;
inline constexpr std::chrono::seconds kPairingLifetime{300};

struct PairingUri {
  std::string topic;  // hex(sha256(sym_key)), 64 lowercase digits
  Secret<32> sym_key;
  std::string relay_protocol = "irn";
  std::map<std::string, std::string> relay_params;  // other relay-* parameters, by the name after "relay-"
  std::int64_t expiry = 0;                          // unix seconds
  std::vector<std::string> methods;
  std::map<std::string, std::string> kl_params;  // our "kl-" parameters, by their full name

  // A new pairing: a random symKey, its topic, and an expiry kPairingLifetime from now.
  static PairingUri create(Rng& rng, const Clock& clock, std::vector<std::string> methods = {});

  // Accepts "wc:" and "wc://" forms. Checks everything a peer could get wrong: the version (2), the
  // symKey and its topic, relay-protocol, and the expiry against clock. Fails with kTooLarge,
  // kMalformed, kBadVersion or kExpired, and a message that says what to do.
  static Result<PairingUri> parse(std::string_view text, const Clock& clock);

  std::string to_string() const;
};

}  // namespace keylink::wire
