#include "keylink/relay/network.h"

#include <gtest/gtest.h>

namespace keylink::relay {
namespace {

TEST(NetworkOf, AnIpv4AddressIsItsOwnNetwork) {
  EXPECT_EQ(network_of("192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(network_of("::ffff:192.0.2.7"), "192.0.2.7");  // IPv4 on a dual-stack socket
}

TEST(NetworkOf, AnIpv6AddressCountsByItsSlash64) {
  EXPECT_EQ(network_of("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
  EXPECT_EQ(network_of("2001:db8:1:2::1"), network_of("2001:db8:1:2:ffff:ffff:ffff:ffff"));
  EXPECT_NE(network_of("2001:db8:1:2::1"), network_of("2001:db8:1:3::1"));
  EXPECT_EQ(network_of("::1"), "::/64");
}

TEST(NetworkOf, OtherTextStaysAsItIs) { EXPECT_EQ(network_of("not an address"), "not an address"); }

}  // namespace
}  // namespace keylink::relay
