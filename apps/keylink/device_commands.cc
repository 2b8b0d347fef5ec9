#include "device_commands.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <ctime>
#include <iostream>

#include <nlohmann/json.hpp>

#include "keylink/base/encoding.h"
#include "keylink/keystore/local_keystore.h"
#include "keylink/link/one_time_code.h"
#include "keylink/runtime/device_link.h"
#include "keylink/runtime/devices.h"
#include "terminal_qr.h"

namespace keylink::cli {
namespace {

using nlohmann::json;

struct DeviceOptions {
  bool json = false;
  bool yes = false;
  bool full = false;
  std::string uri;
  std::string code;
  std::string name;
  std::string lan;
  int timeout = 300;
};

std::string this_host() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "keylink device";
  return name;
}

std::string this_platform() {
  utsname system{};
  if (::uname(&system) != 0) return "unknown";
  std::string out = system.sysname;
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string local_time(std::int64_t unix_seconds) {
  const auto seconds = static_cast<std::time_t>(unix_seconds);
  std::tm local{};
  localtime_r(&seconds, &local);
  char text[40];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S %Z", &local);
  return text;
}

runtime::DeviceLinkOptions link_options(const GlobalOptions& global, std::string name) {
  runtime::DeviceLinkOptions options;
  options.relay = {.url = global.relay, .ca_file = global.relay_ca};
  options.name = name.empty() ? this_host() : std::move(name);
  options.platform = this_platform();
  return options;
}

std::unique_ptr<keystore::LocalKeystore> load_identity(Command& command) {
  auto& home = command.home();
  auto keystore = keystore::LocalKeystore::load(home.db(), home.vault(), command.rng());
  if (!keystore) {
    die("this home has no messaging identity yet: run `keylink chat list` once (it makes or restores one), or link "
        "this home to an account with `keylink link`");
  }
  return std::move(*keystore);
}

// `keylink devices code`: a new one-time code, stored, shown.
void run_code(const GlobalOptions& global, const DeviceOptions& options) {
  Command command(global);
  auto keystore = load_identity(command);
  auto& home = command.home();
  check(runtime::enroll_first_device(home, *keystore, this_host(), this_platform(), command.rng(), command.clock()));
  auto devices = check(runtime::DeviceStore::open(home.db(), home.vault()));
  const auto code = link::OneTimeCode::generate(command.rng(), command.clock().now());
  check(devices.save_code(code, command.rng()));
  const auto expires =
      std::chrono::duration_cast<std::chrono::seconds>((code.made_at + link::kCodeLifetime).time_since_epoch()).count();
  if (options.json) {
    std::cout << json{{"code", std::string(code.text())}, {"expires_at", expires}}.dump() << std::endl;
    return;
  }
  say("Type this code on the new device (`keylink link`). It works once, until " + local_time(expires) + " (5 minutes).");
  std::cout << code.text() << std::endl;
}

// `keylink link`: this new home shows a URI and waits to receive its account.
void run_link(const GlobalOptions& global, DeviceOptions options) {
  Command command(global);
  if (options.code.empty()) {
    auto line = read_secret_line("The code the other device shows (`keylink devices code` there):");
    if (!line) die("no code: give --code or type it");
    options.code = *line;
  }
  std::optional<std::string> lan;
  if (!options.lan.empty()) lan = options.lan;
  runtime::DeviceLinkCallbacks callbacks;
  callbacks.on_linked = [] { say("Linked. Receiving the message history..."); };
  callbacks.on_progress = [](std::uint32_t done, std::uint32_t total) {
    say("history: " + std::to_string(done) + "/" + std::to_string(total) + " chunks");
  };
  callbacks.on_done = [&command](Result<void> result) {
    if (!result) {
      say("link stopped: " + result.error().message);
      return command.finish(1);
    }
    auto keystore = keystore::LocalKeystore::load(command.home().db(), command.home().vault(), command.rng());
    say("This home is now a device of account " + (keystore ? (*keystore)->account_address() : std::string("?")) + ".");
    command.finish(0);
  };
  auto link = check(runtime::JoinLink::start(command.io(), command.home(), options.code, lan,
                                             link_options(global, options.name), command.rng(),
                                             command.clock(), std::move(callbacks)));
  const std::string uri = link->uri().to_string();
  say("On the device that has the account, run `keylink devices add URI` with this URI (or scan the QR code):");
  std::cerr << render_terminal_qr(uri).value_or("") << std::flush;
  std::cout << uri << std::endl;
  exit_with(command.run(std::chrono::seconds(options.timeout), "the link did not complete in time; nothing was kept"));
}

// `keylink devices add URI`: this home sends its account to the new device that shows URI.
void run_add(const GlobalOptions& global, const DeviceOptions& options) {
  Command command(global);
  std::unique_ptr<runtime::AccountLink> link;
  runtime::DeviceLinkCallbacks callbacks;
  callbacks.on_ask = [&](const link::DeviceInfo& device, link::Capabilities offered) {
    const std::string shown = "A new device asks for this account:\n  name: " + escape_for_terminal(device.name) +
                              "\n  platform: " + escape_for_terminal(device.platform) +
                              "\nIt will read every conversation of this account and send as it.";
    if (options.yes) say(shown);
    const bool yes = options.yes || ask_yes(shown + "\nLink it?");
    if (!yes) return link->decide(std::nullopt);
    bool full = false;
    if (options.full) {
      if (offered != link::Capabilities::kLightAndFull) die("the new device did not offer to receive the full account");
      full = options.yes || ask_yes("Also send the wallet's recovery phrase? Whoever has it has the wallet.");
    }
    link->decide(full ? link::AccountKind::kFull : link::AccountKind::kLight);
  };
  callbacks.on_linked = [] { say("The new device is linked. Sending the message history..."); };
  callbacks.on_progress = [](std::uint32_t done, std::uint32_t total) {
    say("history: " + std::to_string(done) + "/" + std::to_string(total) + " chunks");
  };
  callbacks.on_done = [&command](Result<void> result) {
    if (!result) {
      say("link stopped: " + result.error().message);
      return command.finish(1);
    }
    say("Done: the new device has the account and its history.");
    command.finish(0);
  };
  link = check(runtime::AccountLink::start(command.io(), command.home(), argument_or_stdin(options.uri),
                                           link_options(global, {}), command.rng(), command.clock(),
                                           std::move(callbacks)));
  exit_with(command.run(std::chrono::seconds(options.timeout), "the link did not complete in time"));
}

std::string_view status_text(sync::InstallationClass status) {
  switch (status) {
    case sync::InstallationClass::kThisDevice: return "this device";
    case sync::InstallationClass::kEnabled: return "enabled";
    case sync::InstallationClass::kRemoved: return "removed";
    case sync::InstallationClass::kGhost: return "ghost";
  }
  return "?";
}

// `keylink devices`: every installation of the account's signed list.
void run_list(const GlobalOptions& global, const DeviceOptions& options) {
  Command command(global);
  auto devices = check(runtime::list_devices(command.home()));
  if (!devices) {
    if (options.json) {
      std::cout << "[]" << std::endl;
      return;
    }
    return say("This home is not a device of an account yet: `keylink devices code` makes it the first one, "
               "`keylink link` links it to another.");
  }
  json out = json::array();
  for (const auto& device : *devices) {
    out.push_back({{"id", to_hex(device.installation.id)},
                   {"name", device.name},
                   {"platform", device.installation.platform},
                   {"linked_at", device.installation.linked_at},
                   {"last_seen", nullptr},
                   {"status", status_text(device.status)}});
  }
  if (options.json) {
    std::cout << out.dump() << std::endl;
    return;
  }
  for (const auto& device : *devices) {
    std::cout << to_hex(device.installation.id).substr(0, 16) << "  " << escape_for_terminal(device.name) << " ("
              << escape_for_terminal(device.installation.platform) << ")  linked "
              << local_time(device.installation.linked_at) << "  " << status_text(device.status) << "\n";
  }
  std::cout << std::flush;
}

}  // namespace

void add_device_commands(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<DeviceOptions>();
  auto* devices = app.add_subcommand(
      "devices",
      "The devices of this account: list them; `devices code` and `devices add` link a new one.\n"
      "Linking gives the new device the account's XMTP identity key and conversation keys: XMTP v2 cannot\n"
      "take them back, so a device removed later still reads the conversations it had.");
  devices->add_flag("--json", options->json, "Print as JSON: id, name, platform, linked_at, last_seen, status");
  devices->callback([&global, options, devices] {
    if (devices->get_subcommands().empty()) run_list(global, *options);
  });

  auto* code = devices->add_subcommand("code", "Show a one-time code for linking a new device (single use, 5 minutes)");
  code->add_flag("--json", options->json, "Print {code, expires_at} as JSON");
  code->callback([&global, options] { run_code(global, *options); });

  auto* add = devices->add_subcommand("add", "Send this account to the new device that shows URI (`keylink link`)");
  add->add_option("URI", options->uri, "The new device's link URI; - reads it from stdin")->required();
  add->add_flag("--full", options->full, "Also send the wallet's recovery phrase (asked again)");
  add->add_flag("--yes,-y", options->yes, "Link without asking (for scripts)");
  add->add_option("--timeout", options->timeout, "Seconds for the whole link")->capture_default_str();
  add->callback([&global, options] { run_add(global, *options); });

  auto* link = app.add_subcommand(
      "link", "Make this new home a device of an existing account: shows a URI and QR code for `keylink devices add`");
  link->add_option("--code", options->code, "The one-time code the other device shows (asked when not given)");
  link->add_option("--name", options->name, "This device's name, shown to the other device (default: the host name)");
  link->add_option("--lan", options->lan,
                   "Link over the LAN only, listening on IP:PORT (port 0: any), with no relay involved");
  link->add_option("--timeout", options->timeout, "Seconds to wait for the other device")->capture_default_str();
  link->callback([&global, options] { run_link(global, *options); });
}

}  // namespace keylink::cli
