#include "apps_commands.h"

#include <ctime>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "keylink/base/encoding.h"
#include "keylink/keystore/approvals.h"
#include "keylink/keystore/audit_log.h"

namespace keylink::cli {
namespace {

using nlohmann::json;

struct AppsOptions {
  bool json = false;
  bool verify = false;
  std::size_t limit = 50;
  std::string id;
};

std::int64_t unix_seconds(TimePoint time) {
  return std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
}

json optional_seconds(const std::optional<TimePoint>& time) { return time ? json(unix_seconds(*time)) : json(nullptr); }

// An app wrote its name and URL: JSON output keeps them exact, but never throws on bytes that are not
// UTF-8 (the table escapes them instead).
std::string dumped(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

std::vector<std::string> scope_names(const std::vector<keystore::Scope>& scopes) {
  std::vector<std::string> out;
  for (auto scope : scopes) out.emplace_back(keystore::scope_name(scope));
  return out;
}

std::string scopes_text(const std::vector<keystore::Scope>& scopes) {
  std::string out;
  for (const auto& name : scope_names(scopes)) out += (out.empty() ? "" : ",") + name;
  return out.empty() ? "-" : out;
}

json approval_json(const keystore::Approval& a, TimePoint now, bool lookalike) {
  return {{"id", a.id},
          {"name", a.app_name},
          {"url", a.app_url},
          {"origin", a.origin},
          {"app_key", to_base64(a.app_key)},
          {"scopes", scope_names(a.scopes)},
          {"channel", a.channel},
          {"account", a.account},
          {"status", keystore::approval_status(a, now)},
          {"granted_at", unix_seconds(a.granted_at)},
          {"expires_at", unix_seconds(a.expires_at)},
          {"last_used", unix_seconds(a.last_used)},
          {"revoked_at", optional_seconds(a.revoked_at)},
          {"paused_until", optional_seconds(a.paused_until)},
          {"calls", a.calls},
          {"last_counter", a.last_counter},
          {"lookalike", lookalike}};
}

void print_approval(const keystore::Approval& a, TimePoint now, bool lookalike) {
  std::uint64_t calls = 0;
  for (const auto& [method, count] : a.calls) calls += count;
  std::cout << a.id << "  " << escape_for_terminal(a.app_name) << " (" << escape_for_terminal(a.app_url) << ", "
            << escape_for_terminal(a.origin) << ")  " << keystore::approval_status(a, now) << "\n"
            << "    scopes " << scopes_text(a.scopes) << "; granted " << local_time(a.granted_at) << ", expires "
            << local_time(a.expires_at) << "; " << calls << " calls, last " << local_time(a.last_used) << "\n";
  if (a.paused(now)) std::cout << "    paused until " << local_time(*a.paused_until) << " (over its rate limit)\n";
  if (lookalike) {
    std::cout << "    warning: another approved app claims this URL with another key: one of them is not who it "
                 "says\n";
  }
}

// `keylink apps`: every approval, newest first.
void run_list(const GlobalOptions& global, const AppsOptions& options) {
  Command command(global);
  keystore::Approvals approvals(command.home().db());
  const TimePoint now = command.clock().now();
  json out = json::array();
  const auto all = check(approvals.list());
  for (const auto& a : all) {
    const bool lookalike = !check(approvals.lookalikes(a.app_url, a.app_key)).empty();
    if (options.json) {
      out.push_back(approval_json(a, now, lookalike));
    } else {
      print_approval(a, now, lookalike);
    }
  }
  if (options.json) std::cout << dumped(out) << std::endl;
  if (!options.json && all.empty())
    say("No app is approved. An app asks by a WalletConnect QR code or the local socket.");
}

// `keylink apps revoke ID`.
void run_revoke(const GlobalOptions& global, const AppsOptions& options) {
  Command command(global);
  keystore::Approvals approvals(command.home().db());
  check(approvals.revoke(options.id, command.clock().now()));
  say("Revoked " + escape_for_terminal(options.id) + ": the app's requests are refused from now on.");
}

// `keylink apps renew ID`.
void run_renew(const GlobalOptions& global, const AppsOptions& options) {
  Command command(global);
  keystore::Approvals approvals(command.home().db());
  const auto renewed = check(approvals.renew(options.id, command.clock().now()));
  say("Renewed " + renewed.id + " (" + escape_for_terminal(renewed.app_name) + ") until " +
      local_time(renewed.expires_at) + "; a pause, if any, is lifted.");
}

json entry_json(const keystore::AuditEntry& e) {
  return {{"seq", e.seq},     {"time", unix_seconds(e.time)}, {"approval", e.approval},  {"method", e.method},
          {"items", e.items}, {"outcome", e.outcome},         {"topics", e.topic_hashes}};
}

// `keylink apps log`: the newest entries, oldest first; --verify checks the whole chain first.
void run_log(const GlobalOptions& global, const AppsOptions& options) {
  Command command(global);
  keystore::AuditLog log(command.home().db(), command.home().vault(), command.rng());
  if (options.verify) {
    if (auto verified = log.verify(); !verified) die(verified.error().message);
    say("The audit log checks out: no entry was changed, moved or deleted.");
  }
  const auto entries = check(log.list(options.limit));
  if (options.json) {
    json out = json::array();
    for (const auto& e : entries) out.push_back(entry_json(e));
    std::cout << dumped(out) << std::endl;
    return;
  }
  for (const auto& e : entries) {
    std::cout << e.seq << "  " << local_time(e.time) << "  " << (e.approval.empty() ? "-" : e.approval) << "  "
              << escape_for_terminal(e.method) << "  " << e.items << (e.items == 1 ? " item  " : " items  ")
              << e.outcome << "  " << e.topic_hashes.size() << " topics\n";
  }
  std::cout << std::flush;
}

}  // namespace

void add_apps_commands(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<AppsOptions>();
  auto* apps = app.add_subcommand(
      "apps",
      "The apps approved to use this wallet's messaging keys (30 days each): list them; revoke, renew, and\n"
      "read the audit log of what they asked.");
  apps->add_flag("--json", options->json,
                 "Print as JSON: id, name, url, origin, app_key, scopes, channel, account, status, granted_at,\n"
                 "expires_at, last_used, revoked_at, paused_until (unix s, null when none), calls, last_counter,\n"
                 "lookalike");
  apps->callback([&global, options, apps] {
    if (apps->get_subcommands().empty()) run_list(global, *options);
  });

  auto* revoke = apps->add_subcommand("revoke", "Revoke an app's approval: its requests are refused from now on");
  revoke->add_option("ID", options->id, "The approval's id (`keylink apps`)")->required();
  revoke->callback([&global, options] { run_revoke(global, *options); });

  auto* renew = apps->add_subcommand("renew", "Renew an approval for 30 days from now, and lift its pause");
  renew->add_option("ID", options->id, "The approval's id (`keylink apps`)")->required();
  renew->callback([&global, options] { run_renew(global, *options); });

  auto* log = apps->add_subcommand("log", "The audit log: one entry per request an app sent, refused or not");
  log->add_flag("--json", options->json, "Print as JSON: seq, time (unix s), approval, method, items, outcome, topics");
  log->add_flag("--verify", options->verify, "Check the log's MAC chain first; exit 1 naming the first bad entry");
  log->add_option("--limit", options->limit, "How many of the newest entries")->capture_default_str();
  log->callback([&global, options] { run_log(global, *options); });
}

}  // namespace keylink::cli
