#include "keylink/link/link_uri.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>

#include "keylink/base/encoding.h"
#include "keylink/link/errors.h"
#include "keylink/link/one_time_code.h"

namespace keylink::link {
namespace {

constexpr std::string_view kMethod = "keylink_link";
constexpr std::size_t kMaxExpiryDigits = 12;  // unix seconds far past any real expiry, far below overflow

bool is_lower_hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool is_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Values are form-urlencoded: a sender that encodes ',' or ':' as %2C or %3A is read the same.
Result<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) return fail(Errc::kMalformed, "a '%' is not followed by two hex digits");
    auto byte = from_hex(text.substr(i + 1, 2));
    if (!byte) return fail(Errc::kMalformed, "a '%' is not followed by two hex digits");
    out.push_back(static_cast<char>((*byte)[0]));
    i += 2;
  }
  return out;
}

Result<std::map<std::string, std::string, std::less<>>> parse_query(std::string_view query) {
  std::map<std::string, std::string, std::less<>> params;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    if (eq == std::string_view::npos) return fail(Errc::kMalformed, "a parameter has no '='");
    auto value = percent_decode(pair.substr(eq + 1));
    if (!value) return fail(value.error());
    if (!params.emplace(std::string(pair.substr(0, eq)), std::move(*value)).second) {
      return fail(Errc::kMalformed, "a parameter appears twice");
    }
  }
  return params;
}

Result<std::int64_t> parse_expiry(std::string_view text) {
  if (!is_digits(text) || text.size() > kMaxExpiryDigits) {
    return fail(Errc::kMalformed, "expiryTimestamp is not a unix time in seconds");
  }
  std::int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  if (value <= 0) return fail(Errc::kMalformed, "expiryTimestamp is not a unix time in seconds");
  return value;
}

Result<Capabilities> parse_caps(std::string_view text) {
  if (text == "light") return Capabilities::kLight;
  if (text == "light,full") return Capabilities::kLightAndFull;
  return fail(Errc::kMalformed, "kl-caps must be 'light' or 'light,full'");
}

// Every parameter the URI must carry, each checked for its form.
Result<LinkUri> from_params(std::string_view topic, const std::map<std::string, std::string, std::less<>>& params,
                            TimePoint now) {
  auto get = [&](std::string_view key) -> const std::string* {
    auto it = params.find(key);
    return it == params.end() ? nullptr : &it->second;
  };
  LinkUri uri;
  auto topic_bytes = from_hex_array<32>(topic);
  if (topic.size() != 64 || !is_lower_hex(topic) || !topic_bytes) {
    return fail(Errc::kMalformed, "the topic must be 64 lowercase hex digits");
  }
  uri.topic = *topic_bytes;
  const std::string* methods = get("methods");
  if (methods == nullptr || *methods != kMethod) {
    return fail(Errc::kUnsupported, "not a device link URI (methods must be keylink_link)");
  }
  const std::string* relay = get("relay-protocol");
  if (relay == nullptr || *relay != "irn") return fail(Errc::kUnsupported, "relay-protocol must be irn");
  const std::string* pub = get("kl-pub");
  if (pub == nullptr || pub->size() != 64 || !is_lower_hex(*pub)) {
    return fail(Errc::kMalformed, "kl-pub is missing or not 64 lowercase hex digits");
  }
  auto key = from_hex_array<32>(*pub);
  if (!key) return fail(Errc::kMalformed, "kl-pub is not 64 lowercase hex digits");
  uri.joiner_key = *key;
  const std::string* code = get("kl-code");
  if (code == nullptr || !is_code_text(*code)) return fail(Errc::kMalformed, "kl-code is missing or not 6 digits");
  uri.code = *code;
  const std::string* caps = get("kl-caps");
  if (caps == nullptr) return fail(Errc::kMalformed, "kl-caps is missing");
  auto parsed_caps = parse_caps(*caps);
  if (!parsed_caps) return fail(parsed_caps.error());
  uri.caps = *parsed_caps;
  if (const std::string* lan = get("kl-lan")) {
    if (!is_lan_address(*lan)) return fail(Errc::kMalformed, "kl-lan is not host:port");
    uri.lan = *lan;
  }
  const std::string* expiry = get("expiryTimestamp");
  if (expiry == nullptr) return fail(Errc::kMalformed, "expiryTimestamp is missing");
  auto parsed_expiry = parse_expiry(*expiry);
  if (!parsed_expiry) return fail(parsed_expiry.error());
  uri.expiry = *parsed_expiry;
  if (uri.expiry <= std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count()) {
    return fail(Errc::kExpired, "link URI expired; make a new one on the new device");
  }
  return uri;
}

bool is_port(std::string_view text) {
  if (!is_digits(text) || text.size() > 5) return false;
  int port = 0;
  std::from_chars(text.data(), text.data() + text.size(), port);
  return port >= 1 && port <= 65535;
}

}  // namespace

std::string topic_text(const LinkTopic& topic) { return to_hex(topic); }

bool is_lan_address(std::string_view text) noexcept {
  if (text.size() > kMaxLanAddressLength) return false;
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || !is_port(text.substr(colon + 1))) return false;
  std::string_view host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    return !host.empty() && host.size() <= 45 && std::all_of(host.begin(), host.end(), [](char c) {
      return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
    });
  }
  return !host.empty() && host.size() <= 253 && std::all_of(host.begin(), host.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-';
  });
}

Result<LinkUri> LinkUri::parse(std::string_view text, TimePoint now) {
  if (text.size() > kMaxLinkUriLength) {
    return fail(Errc::kTooLarge, "link URI longer than " + std::to_string(kMaxLinkUriLength) + " bytes");
  }
  std::string_view rest = text;
  if (rest.starts_with("wc://")) {
    rest.remove_prefix(5);
  } else if (rest.starts_with("wc:")) {
    rest.remove_prefix(3);
  } else {
    return fail(Errc::kMalformed, "link URI: not a link URI: it must start with 'wc:'");
  }
  const std::size_t question = rest.find('?');
  if (question == std::string_view::npos) return fail(Errc::kMalformed, "link URI: it has no parameters");
  const std::string_view path = rest.substr(0, question);
  const std::size_t at = path.find('@');
  if (at == std::string_view::npos) return fail(Errc::kMalformed, "link URI: no '@2' after the topic");
  if (path.substr(at + 1) != "2") return fail(Errc::kUnsupported, "link URI: only version 2 ('@2') is supported");
  auto params = parse_query(rest.substr(question + 1));
  if (!params) return fail(context("link URI", params.error()));
  auto uri = from_params(path.substr(0, at), *params, now);
  if (!uri && uri.error().code == Errc::kExpired) return fail(uri.error());  // its message says it all
  if (!uri) return fail(context("link URI", uri.error()));
  return uri;
}

std::string LinkUri::to_string() const {
  std::string out = "wc:" + topic_text(topic) + "@2?methods=" + std::string(kMethod) +
                    "&relay-protocol=irn&kl-pub=" + to_hex(joiner_key) + "&kl-code=" + code +
                    "&expiryTimestamp=" + std::to_string(expiry) + "&kl-caps=" + std::string(link::to_string(caps));
  if (lan) out += "&kl-lan=" + *lan;
  return out;
}

}  // namespace keylink::link
