#include "uri_commands.h"

#include <cstdio>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "command.h"
#include "keylink/base/clock.h"
#include "keylink/base/rng.h"
#include "keylink/base/terminal_text.h"
#include "keylink/wire/pairing_uri.h"
#include "terminal_qr.h"

namespace keylink::cli {
namespace {

struct UriOptions {
  std::vector<std::string> methods;
  std::string text;
  bool json = false;
  bool no_qr = false;
};

nlohmann::json describe(const wire::PairingUri& uri, const Clock& clock) {
  return {{"topic", uri.topic},     {"relayProtocol", uri.relay_protocol},
          {"expiry", uri.expiry},   {"expiresInSeconds", uri.expiry - clock.unix_seconds()},
          {"methods", uri.methods}, {"keylinkParams", uri.kl_params}};
}

void print(const nlohmann::json& fields, bool json) {
  if (json) {
    // A kl- parameter may percent-decode to bytes that are not UTF-8, which JSON cannot carry: they
    // become U+FFFD instead of ending the program.
    std::cout << fields.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    return;
  }
  for (const auto& [key, value] : fields.items()) {
    const std::string shown = value.is_string() ? value.get<std::string>()
                                                : value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::cout << "  " << key << ": " << escape_for_terminal(shown) << '\n';
  }
}

void run_new(const UriOptions& options) {
  SystemRng rng;
  SystemClock clock;
  const auto uri = wire::PairingUri::create(rng, clock, options.methods);
  const std::string text = uri.to_string();
  if (options.json) {
    auto fields = describe(uri, clock);
    fields["uri"] = text;
    return print(fields, true);
  }
  if (!options.no_qr) std::cout << render_terminal_qr(text).value_or("(URI too long for a QR code)\n");
  std::cout << text << "\n\nScan the code or paste the URI on the other device within "
            << wire::kPairingLifetime.count() / 60 << " minutes.\n";
}

void run_parse(const UriOptions& options) {
  SystemClock clock;
  auto uri = wire::PairingUri::parse(argument_or_stdin(options.text), clock);
  if (!uri) {
    std::cerr << "keylink: " << escape_for_terminal(uri.error().message) << '\n';
    throw CLI::RuntimeError(2);
  }
  if (!options.json) std::cout << "A valid WalletConnect v2 pairing URI:\n";
  print(describe(*uri, clock), options.json);
}

}  // namespace

void add_uri_commands(CLI::App& app) {
  auto options = std::make_shared<UriOptions>();
  auto* uri = app.add_subcommand("uri", "Make and check WalletConnect v2 pairing URIs");
  uri->require_subcommand(1);

  auto* make =
      uri->add_subcommand("new", "Make a pairing URI (a new random symKey, valid 5 minutes) and show its QR code");
  make->add_option("--methods", options->methods, "Methods the pairing is for, e.g. wc_sessionPropose")->delimiter(',');
  make->add_flag("--json", options->json, "Print the URI and its fields as JSON");
  make->add_flag("--no-qr", options->no_qr, "Print the URI without its QR code");
  make->callback([options] { run_new(*options); });

  auto* parse =
      uri->add_subcommand("parse", "Check a pairing URI (version, symKey and topic, expiry) and show its fields");
  parse->add_option("URI", options->text, "The wc: URI, quoted; - reads it from stdin")->required();
  parse->add_flag("--json", options->json, "Print the fields as JSON");
  parse->callback([options] { run_parse(*options); });
}

}  // namespace keylink::cli
