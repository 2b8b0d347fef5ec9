// The network a client connects from, which the relay's per-IP limits count by: one IPv4 address, or
// the /64 of an IPv6 address (a host is usually given a whole /64, so counting single IPv6 addresses
// would give it 2^64 quotas).
#pragma once

#include <string>
#include <string_view>

namespace keylink::relay {

// "192.0.2.7" for 192.0.2.7 and for ::ffff:192.0.2.7; "2001:db8:1:2::/64" for any address in that /64.
// Text that is not an IP address is returned as it is.
std::string network_of(std::string_view ip);

}  // namespace keylink::relay
