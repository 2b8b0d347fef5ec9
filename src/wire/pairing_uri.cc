#include "keylink/wire/pairing_uri.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "keylink/base/encoding.h"
#include "keylink/wire/errors.h"
#include "keylink/wire/keys.h"

namespace keylink::wire {
namespace {

constexpr std::string_view kRelayPrefix = "relay-";
constexpr std::string_view kKeylinkPrefix = "kl-";

bool is_lower_hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// application/x-www-form-urlencoded, as URLSearchParams writes it: space as '+', and every byte but
// ASCII letters, digits and *-._ as %XX.
std::string form_encode(std::string_view text) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '*' || c == '-' || c == '.' || c == '_') {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out += {'%', kDigits[c >> 4], kDigits[c & 15]};
    }
  }
  return out;
}

Result<std::string> form_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out.push_back(' ');
    } else if (text[i] != '%') {
      out.push_back(text[i]);
    } else {
      auto byte = from_hex(text.substr(i + 1, 2));
      if (i + 2 >= text.size() || !byte) return fail(Errc::kMalformed, "a '%' is not followed by two hex digits");
      out.push_back(static_cast<char>((*byte)[0]));
      i += 2;
    }
  }
  return out;
}

// JS sorts the keys with localeCompare: case-insensitive first, lowercase before uppercase on a tie.
bool key_before(const std::string& a, const std::string& b) {
  auto lower = [](unsigned char c) { return static_cast<char>(std::tolower(c)); };
  std::string la(a.size(), '\0'), lb(b.size(), '\0');
  std::transform(a.begin(), a.end(), la.begin(), lower);
  std::transform(b.begin(), b.end(), lb.begin(), lower);
  return la != lb ? la < lb : a > b;
}

Result<std::map<std::string, std::string>> parse_query(std::string_view query) {
  std::map<std::string, std::string> params;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    auto key = form_decode(pair.substr(0, eq));
    auto value = form_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
    if (!key) return fail(key.error());
    if (!value) return fail(value.error());
    if (!params.emplace(std::move(*key), std::move(*value)).second) {
      return fail(Errc::kMalformed, "parameter '" + std::string(pair.substr(0, eq)) + "' appears twice");
    }
  }
  return params;
}

Result<std::int64_t> parse_unix_seconds(const std::string& text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value <= 0) {
    return fail(Errc::kMalformed, "expiryTimestamp '" + text + "' is not a unix time in seconds");
  }
  return value;
}

std::vector<std::string> split_methods(std::string_view text) {
  std::vector<std::string> methods;
  if (text.empty()) return methods;
  for (std::size_t start = 0;;) {
    const std::size_t comma = text.find(',', start);
    methods.emplace_back(text.substr(start, comma - start));
    if (comma == std::string_view::npos) return methods;
    start = comma + 1;
  }
}

// Takes the fields out of the query parameters and checks each one.
Result<PairingUri> from_params(std::string_view topic, std::map<std::string, std::string> params, const Clock& clock) {
  PairingUri uri;
  if (topic.size() != 64 || !is_lower_hex(topic)) {
    return fail(Errc::kMalformed, "the topic must be 64 lowercase hex digits");
  }
  uri.topic = topic;
  auto sym_key = from_hex_array<32>(params["symKey"]);
  if (!sym_key) return fail(Errc::kMalformed, "symKey is missing or not 64 hex digits");
  uri.sym_key = Secret<32>(*sym_key);
  secure_wipe(sym_key->data(), sym_key->size());
  if (topic_of(uri.sym_key.expose()) != uri.topic) {
    return fail(Errc::kMalformed, "the topic does not match symKey: the URI was altered or damaged");
  }
  if (!params.contains("relay-protocol") || params["relay-protocol"].empty()) {
    return fail(Errc::kMalformed, "relay-protocol is missing");
  }
  if (!params.contains("expiryTimestamp")) {
    return fail(Errc::kMalformed, "expiryTimestamp is missing; ask for a new URI");
  }
  auto expiry = parse_unix_seconds(params["expiryTimestamp"]);
  if (!expiry) return fail(expiry.error());
  uri.expiry = *expiry;
  if (uri.expiry <= clock.unix_seconds()) {
    return fail(Errc::kExpired, "the pairing URI expired " + std::to_string(clock.unix_seconds() - uri.expiry) +
                                    " s ago; ask for a new one");
  }
  if (params.contains("methods")) uri.methods = split_methods(params["methods"]);
  for (auto& [key, value] : params) {
    if (key.starts_with(kRelayPrefix)) {
      if (key == "relay-protocol") {
        uri.relay_protocol = value;
      } else {
        uri.relay_params.emplace(key.substr(kRelayPrefix.size()), value);
      }
    } else if (key.starts_with(kKeylinkPrefix)) {
      uri.kl_params.emplace(key, value);
    }
  }
  return uri;
}

}  // namespace

PairingUri PairingUri::create(Rng& rng, const Clock& clock, std::vector<std::string> methods) {
  PairingUri uri;
  rng.fill(uri.sym_key.expose_mutable());
  uri.topic = topic_of(uri.sym_key.expose());
  uri.expiry = clock.unix_seconds() + kPairingLifetime.count();
  uri.methods = std::move(methods);
  return uri;
}

Result<PairingUri> PairingUri::parse(std::string_view text, const Clock& clock) {
  if (text.size() > kMaxUriLength) {
    return fail(Errc::kTooLarge, "pairing URI longer than " + std::to_string(kMaxUriLength) + " bytes");
  }
  // EIP-1328: wc:<topic>@<version>?<params>; Android apps send wc://.
  std::string_view rest = text;
  if (rest.starts_with("wc://")) {
    rest.remove_prefix(5);
  } else if (rest.starts_with("wc:")) {
    rest.remove_prefix(3);
  } else {
    return fail(Errc::kMalformed, "not a WalletConnect pairing URI: it must start with 'wc:'");
  }
  const std::size_t question = rest.find('?');
  const std::string_view path = rest.substr(0, question);
  const std::size_t at = path.find('@');
  if (at == std::string_view::npos) return fail(Errc::kMalformed, "the URI has no '@version' after the topic");
  if (path.substr(at + 1) != "2") {
    return fail(Errc::kBadVersion, path.substr(at + 1) == "1" ? "this is a WalletConnect v1 URI; only v2 is supported"
                                                              : "unsupported WalletConnect version '" +
                                                                    std::string(path.substr(at + 1)) + "'");
  }
  auto params = parse_query(question == std::string_view::npos ? std::string_view{} : rest.substr(question + 1));
  if (!params) return fail(context("pairing URI", params.error()));
  auto uri = from_params(path.substr(0, at), std::move(*params), clock);
  if (!uri) return fail(context("pairing URI", uri.error()));
  return uri;
}

std::string PairingUri::to_string() const {
  std::vector<std::pair<std::string, std::string>> params;
  params.emplace_back("relay-protocol", relay_protocol);
  for (const auto& [name, value] : relay_params) params.emplace_back(std::string(kRelayPrefix) + name, value);
  params.emplace_back("symKey", to_hex(sym_key.expose()));
  params.emplace_back("expiryTimestamp", std::to_string(expiry));
  if (!methods.empty()) {
    std::string joined = methods.front();
    for (std::size_t i = 1; i < methods.size(); ++i) joined += "," + methods[i];
    params.emplace_back("methods", joined);
  }
  for (const auto& [name, value] : kl_params) params.emplace_back(name, value);
  std::sort(params.begin(), params.end(), [](const auto& a, const auto& b) { return key_before(a.first, b.first); });

  std::string out = "wc:" + topic + "@2?";
  for (const auto& [name, value] : params) {
    if (out.back() != '?') out.push_back('&');
    out += form_encode(name) + "=" + form_encode(value);
  }
  return out;
}

}  // namespace keylink::wire
