#include "never_allowed.h"

#include <algorithm>
#include <cctype>

namespace keylink::keystore::detail {

bool never_allowed(std::string_view method) {
  std::string lower(method);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return lower.ends_with("getprivatekeybundle") || lower.ends_with("initkeystore") ||
         lower.find("export") != std::string::npos || lower.find("privatekey") != std::string::npos;
}

std::string why_not_a_method(std::string_view method) {
  constexpr std::size_t kShown = 64;  // an app picks the name
  const std::string quoted = "'" + std::string(method.substr(0, kShown)) + (method.size() > kShown ? "...'" : "'");
  if (never_allowed(method)) return quoted + ": never: private keys do not leave the wallet";
  return quoted + " is not a method of the xmtp namespace";
}

}  // namespace keylink::keystore::detail
