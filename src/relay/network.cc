#include "keylink/relay/network.h"

#include <utility>  // before Boost.Asio (Boost 1.74, g++ 12, C++20)

#include <boost/asio/ip/address.hpp>

namespace keylink::relay {

std::string network_of(std::string_view ip) {
  boost::system::error_code error;
  const auto address = boost::asio::ip::make_address(std::string(ip), error);
  if (error) return std::string(ip);
  if (address.is_v4()) return address.to_string();
  const auto v6 = address.to_v6();
  if (v6.is_v4_mapped()) return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).to_string();
  auto bytes = v6.to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  return boost::asio::ip::address_v6(bytes).to_string() + "/64";
}

}  // namespace keylink::relay
