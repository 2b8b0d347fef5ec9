#include "device_commands.h"

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
  std::string id;
  int timeout = 300;       // a link: the new device's user may take a while
  int relay_timeout = 60;  // the other commands
};

runtime::DeviceLinkOptions link_options(const GlobalOptions& global, std::string name) {
  runtime::DeviceLinkOptions options;
  options.relay = {.url = global.relay, .ca_file = global.relay_ca};
  options.name = name.empty() ? device_name() : std::move(name);
  options.platform = device_platform();
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

// What both sides of a link print: the narration, the history's progress, and the end (`done` says
// the success line).
runtime::DeviceLinkCallbacks narration(Command& command, std::string linked, std::function<std::string()> done) {
  runtime::DeviceLinkCallbacks callbacks;
  callbacks.on_linked = [linked = std::move(linked)] { say(linked); };
  callbacks.on_progress = [](std::uint32_t sent, std::uint32_t total) {
    say("history: " + std::to_string(sent) + "/" + std::to_string(total) + " chunks");
  };
  callbacks.on_done = [&command, done = std::move(done)](Result<void> result) {
    if (!result) {
      say("link stopped: " + result.error().message);
      return command.finish(1);
    }
    say(done());
    command.finish(0);
  };
  return callbacks;
}

// `keylink devices code`: a new one-time code, stored, shown.
void run_code(const GlobalOptions& global, const DeviceOptions& options) {
  Command command(global);
  auto keystore = load_identity(command);
  auto& home = command.home();
  check(runtime::enroll_first_device(home, *keystore, device_name(), device_platform(), command.rng(), command.clock()));
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
  auto callbacks = narration(command, "Linked. Receiving the message history...", [&command] {
    auto keystore = keystore::LocalKeystore::load(command.home().db(), command.home().vault(), command.rng());
    return "This home is now a device of account " + (keystore ? (*keystore)->account_address() : std::string("?")) +
           ".";
  });
  std::function<void()> ready;
  callbacks.on_ready = [&ready] {
    if (ready) ready();
  };
  auto link = check(runtime::JoinLink::start(command.io(), command.home(), options.code, lan,
                                             link_options(global, options.name), command.rng(),
                                             command.clock(), std::move(callbacks)));
  // Shown once B listens, so that the first device's first message is not lost.
  const std::string uri = link->uri().to_string();
  ready = [uri] {
    say("On the device that has the account, run `keylink devices add URI` with this URI (or scan the QR code):");
    std::cerr << render_terminal_qr(uri).value_or("") << std::flush;
    std::cout << uri << std::endl;
  };
  exit_with(command.run(std::chrono::seconds(options.timeout), "the link did not complete in time; nothing was kept"));
}

// `keylink devices add URI`: this home sends its account to the new device that shows URI.
void run_add(const GlobalOptions& global, const DeviceOptions& options) {
  Command command(global);
  std::unique_ptr<runtime::AccountLink> link;
  auto callbacks = narration(command, "The new device is linked. Sending the message history...",
                             [] { return "Done: the new device has the account and its history."; });
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

bool has_identity(Command& command) {
  return static_cast<bool>(keystore::LocalKeystore::load(command.home().db(), command.home().vault(), command.rng()));
}

json device_json(const runtime::DeviceEntry& device, std::int64_t now_ms) {
  const bool self = device.status == sync::InstallationClass::kThisDevice;
  return {{"id", to_hex(device.installation.id)},
          {"name", device.name},
          {"platform", device.installation.platform},
          {"linked_at", device.status == sync::InstallationClass::kGhost ? json(nullptr) : json(device.installation.linked_at)},
          {"last_seen", self ? json(now_ms / 1000) : device.last_seen_ms ? json(*device.last_seen_ms / 1000) : json(nullptr)},
          {"status", status_text(device.status)}};
}

void print_devices(Command& command, const DeviceOptions& options) {
  const auto devices = check(runtime::list_devices(command.home()));
  const std::int64_t now_ms = command.clock().unix_millis();
  json out = json::array();
  for (const auto& device : devices.value_or(std::vector<runtime::DeviceEntry>{})) out.push_back(device_json(device, now_ms));
  if (options.json) {
    std::cout << out.dump() << std::endl;
    return;
  }
  for (const auto& row : out) {
    const auto time = [](const json& value) { return value.is_null() ? std::string("never") : local_time(value.get<std::int64_t>()); };
    std::cout << row["id"].get<std::string>().substr(0, 16) << "  " << escape_for_terminal(row["name"].get<std::string>())
              << " (" << escape_for_terminal(row["platform"].get<std::string>()) << ")  linked " << time(row["linked_at"])
              << "  last seen " << time(row["last_seen"]) << "  " << row["status"].get<std::string>() << "\n";
  }
  std::cout << std::flush;
}

// `keylink devices`: every installation of the account's signed list (and the ghosts), after a sync.
void run_list(const GlobalOptions& global, const DeviceOptions& options) {
  Command command(global);
  if (!has_identity(command)) {
    if (options.json) {
      std::cout << "[]" << std::endl;
      return;
    }
    return say("This home is not a device of an account yet: `keylink devices code` makes it the first one of its\n"
               "account, `keylink link` links it to another.");
  }
  command.open_chat();
  command.when_devices_synced([&] {
    print_devices(command, options);
    command.finish(0);
  });
  exit_with(command.run(std::chrono::seconds(options.relay_timeout), "the relay did not answer in time"));
}

// The one listed device whose id starts with `prefix` (at least 8 hex digits).
sync::InstallationId find_device(const sync::InstallationList& list, std::string prefix) {
  for (auto& c : prefix) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (prefix.size() < 8) die("give at least the first 8 hex digits of the device id (`keylink devices`)");
  const sync::Installation* found = nullptr;
  for (const auto& installation : list.installations) {
    if (!to_hex(installation.id).starts_with(prefix)) continue;
    if (found) die("'" + prefix + "' names more than one device: give more of its id");
    found = &installation;
  }
  if (!found) die("no device of this account has an id starting with '" + prefix + "'");
  return found->id;
}

// `keylink devices remove ID`: the list without it, a new group key for the others, new pre-keys.
void run_remove(const GlobalOptions& global, const DeviceOptions& options) {
  Command command(global);
  if (!has_identity(command)) die("this home is not a device of an account");
  command.open_chat();
  command.when_devices_synced([&] {
    const auto id = find_device(command.devices().list(), options.id);
    const auto* device = command.devices().list().find(id);
    if (device->status == sync::InstallationStatus::kRemoved) die("that device was removed already");
    const std::string shown =
        "Remove " + escape_for_terminal(device->name) + " (" + escape_for_terminal(device->platform) + ", " +
        to_hex(id).substr(0, 16) +
        ")?\nFrom now on it reads nothing the other devices write to the account, and it opens no conversation\n"
        "started after this. It keeps the identity key and the conversations it had: XMTP v2 cannot take them back.";
    if (options.yes) say(shown);
    if (!options.yes && !ask_yes(shown)) {
      say("Nothing was removed.");
      return command.finish(1);
    }
    check(command.devices().remove(id));
    check(command.chat().rotate_pre_key());
    say("Removed. The other devices have a new group key, and this account's contact has a new pre-key.");
    command.finish(0);
  });
  exit_with(command.run(std::chrono::seconds(options.relay_timeout), "the relay did not answer in time"));
}

// `keylink devices name ID NAME` and `keylink account name NAME`: shared with every device.
void run_rename(const GlobalOptions& global, const DeviceOptions& options, bool account) {
  Command command(global);
  if (!has_identity(command)) die("this home is not a device of an account yet");
  command.open_chat();
  command.when_devices_synced([&] {
    if (account) {
      check(command.devices().change(sync::changes::setting("display_name", options.name)));
      say("The account's display name is now " + escape_for_terminal(options.name) + " on every device.");
    } else {
      const auto id = find_device(command.devices().list(), options.id);
      check(command.devices().change(sync::changes::device_name(id, options.name)));
      say("Device " + to_hex(id).substr(0, 16) + " is now named " + escape_for_terminal(options.name) + ".");
    }
    command.finish(0);
  });
  exit_with(command.run(std::chrono::seconds(options.relay_timeout), "the relay did not answer in time"));
}

}  // namespace

void add_device_commands(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<DeviceOptions>();
  auto* devices = app.add_subcommand(
      "devices",
      "The devices of this account: list them; `devices code` and `devices add` link a new one.\n"
      "Linking gives the new device the account's XMTP identity key and conversation keys: XMTP v2 cannot\n"
      "take them back, so a device removed later still reads the conversations it had.");
  devices->add_flag("--json", options->json,
                    "Print as JSON: id, name, platform, linked_at and last_seen (unix s, null when unknown), status\n"
                    "(this device, enabled, removed, ghost)");
  devices->add_option("--timeout", options->relay_timeout, "Seconds to wait for the relay")->capture_default_str();
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

  auto* remove = devices->add_subcommand(
      "remove",
      "Remove a device: a new group key for the others and a new pre-key for new conversations. The removed\n"
      "device keeps the identity key and the keys of the conversations it had (XMTP v2 cannot take them back).");
  remove->add_option("ID", options->id, "The device's id, or its first 8 or more hex digits (`keylink devices`)")
      ->required();
  remove->add_flag("--yes,-y", options->yes, "Remove without asking (for scripts)");
  remove->add_option("--timeout", options->relay_timeout, "Seconds to wait for the relay")->capture_default_str();
  remove->callback([&global, options] { run_remove(global, *options); });

  auto* rename = devices->add_subcommand("name", "Rename a device, for every device of this account");
  rename->add_option("ID", options->id, "The device's id, or its first 8 or more hex digits")->required();
  rename->add_option("NAME", options->name, "The new name")->required();
  rename->callback([&global, options] { run_rename(global, *options, false); });

  if (auto* account = app.get_subcommand("account")) {
    auto* display = account->add_subcommand("name", "Set the account's display name, shared with its devices");
    display->add_option("NAME", options->name, "The display name")->required();
    display->callback([&global, options] { run_rename(global, *options, true); });
  }

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
