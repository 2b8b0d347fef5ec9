#include "keylink/keystore/approvals.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "keylink/base/encoding.h"
#include "keylink/base/time_text.h"
#include "keylink/keystore/errors.h"
#include "keylink/store/errors.h"
#include "time_ms.h"

namespace keylink::keystore {
namespace {

using detail::from_ms;
using detail::to_ms;

constexpr std::string_view kCreateTable = R"sql(
  CREATE TABLE IF NOT EXISTS keystore_approvals (
    id TEXT PRIMARY KEY,
    app_name TEXT NOT NULL,
    app_url TEXT NOT NULL,
    origin TEXT NOT NULL,
    app_key BLOB NOT NULL,
    scopes TEXT NOT NULL,
    channel TEXT NOT NULL,
    account TEXT NOT NULL,
    granted_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL,
    last_used_ms INTEGER NOT NULL,
    revoked_ms INTEGER,
    paused_until_ms INTEGER,
    calls TEXT NOT NULL,
    last_counter INTEGER NOT NULL);
  CREATE INDEX IF NOT EXISTS keystore_approvals_by_channel ON keystore_approvals (channel);
)sql";

constexpr std::string_view kColumns =
    "id, app_name, app_url, origin, app_key, scopes, channel, account, granted_ms, expires_ms, last_used_ms, "
    "revoked_ms, paused_until_ms, calls, last_counter";

constexpr Scope kScopes[] = {Scope::kRead, Scope::kSend, Scope::kAuth, Scope::kPreferences, Scope::kPush};

std::string scopes_text(const std::vector<Scope>& scopes) {
  std::string out;
  for (Scope scope : scopes) out += (out.empty() ? "" : ",") + std::string(scope_name(scope));
  return out;
}

Result<std::vector<Scope>> parse_scopes(std::string_view text, const std::string& id) {
  std::vector<Scope> out;
  while (!text.empty()) {
    const auto comma = std::min(text.find(','), text.size());
    const auto name = text.substr(0, comma);
    const auto* found =
        std::find_if(std::begin(kScopes), std::end(kScopes), [&](Scope s) { return scope_name(s) == name; });
    if (found == std::end(kScopes))
      return fail(store::Errc::kCorrupt, "approval " + id + ": unknown scope " + std::string(name));
    out.push_back(*found);
    text.remove_prefix(std::min(comma + 1, text.size()));
  }
  return out;
}

Result<std::map<std::string, std::uint64_t>> parse_calls(std::string_view text, const std::string& id) {
  const auto parsed = nlohmann::json::parse(text, nullptr, false);
  if (!parsed.is_object()) return fail(store::Errc::kCorrupt, "approval " + id + ": calls is not a JSON object");
  std::map<std::string, std::uint64_t> out;
  for (const auto& [method, count] : parsed.items()) {
    if (!count.is_number_unsigned())
      return fail(store::Errc::kCorrupt, "approval " + id + ": a call count is not a number");
    out.emplace(method, count.get<std::uint64_t>());
  }
  return out;
}

std::optional<TimePoint> optional_time(const store::Statement& row, int column) {
  if (row.column_is_null(column)) return std::nullopt;
  return from_ms(row.column_int64(column));
}

Result<Approval> read_row(const store::Statement& row) {
  Approval a;
  a.id = std::string(row.column_text(0));
  a.app_name = std::string(row.column_text(1));
  a.app_url = std::string(row.column_text(2));
  a.origin = std::string(row.column_text(3));
  const ByteView key = row.column_blob(4);
  if (key.size() != a.app_key.size())
    return fail(store::Errc::kCorrupt, "approval " + a.id + ": app key is not 32 bytes");
  std::copy(key.begin(), key.end(), a.app_key.begin());
  auto scopes = parse_scopes(row.column_text(5), a.id);
  if (!scopes) return fail(scopes.error());
  a.scopes = std::move(*scopes);
  a.channel = std::string(row.column_text(6));
  a.account = std::string(row.column_text(7));
  a.granted_at = from_ms(row.column_int64(8));
  a.expires_at = from_ms(row.column_int64(9));
  a.last_used = from_ms(row.column_int64(10));
  a.revoked_at = optional_time(row, 11);
  a.paused_until = optional_time(row, 12);
  auto calls = parse_calls(row.column_text(13), a.id);
  if (!calls) return fail(calls.error());
  a.calls = std::move(*calls);
  a.last_counter = static_cast<std::uint64_t>(row.column_int64(14));
  return a;
}

tl::unexpected<Error> unknown(std::string_view id) {
  return fail(Errc::kUnknownApproval, "no approval " + std::string(id) + " (`keylink apps` lists them)");
}

}  // namespace

bool Approval::grants(Scope scope) const {
  return scope == Scope::kAny || std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

std::string_view approval_status(const Approval& approval, TimePoint now) {
  if (approval.revoked_at) return "revoked";
  if (approval.expired(now)) return "expired";
  if (approval.paused(now)) return "paused";
  return "active";
}

std::string iso_time(TimePoint time) { return format_time(time, "%Y-%m-%dT%H:%M:%SZ", Zone::kUtc); }

Result<void> Approvals::ensure_table() {
  if (table_ready_) return {};
  if (auto made = db_->exec(kCreateTable); !made) return fail(made.error());
  table_ready_ = true;
  return {};
}

Result<Approval> Approvals::grant(const AppInfo& app, std::vector<Scope> scopes, std::string channel,
                                  std::string account, Rng& rng, TimePoint now) {
  if (auto ready = ensure_table(); !ready) return fail(ready.error());
  Approval a;
  a.id = to_hex(rng.bytes<8>());
  a.app_name = app.name;
  a.app_url = app.url;
  a.origin = app.origin;
  a.app_key = app.app_key;
  std::erase(scopes, Scope::kAny);
  a.scopes = std::move(scopes);
  a.channel = channel.empty() ? std::string(kLocalChannelPrefix) + a.id : std::move(channel);
  a.account = std::move(account);
  a.granted_at = from_ms(to_ms(now));
  a.expires_at = a.granted_at + kApprovalLifetime;
  a.last_used = a.granted_at;
  auto insert = db_->prepare("INSERT INTO keystore_approvals (" + std::string(kColumns) +
                             ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?9, NULL, NULL, '{}', 0)");
  if (!insert) return fail(insert.error());
  insert->bind_text(1, a.id)
      .bind_text(2, a.app_name)
      .bind_text(3, a.app_url)
      .bind_text(4, a.origin)
      .bind_blob(5, a.app_key)
      .bind_text(6, scopes_text(a.scopes))
      .bind_text(7, a.channel)
      .bind_text(8, a.account)
      .bind_int64(9, to_ms(a.granted_at))
      .bind_int64(10, to_ms(a.expires_at));
  if (auto run = insert->run(); !run) return fail(run.error());
  return a;
}

Result<std::vector<Approval>> Approvals::select(std::string_view where, std::string_view text) {
  if (auto ready = ensure_table(); !ready) return fail(ready.error());
  auto query = db_->cached("SELECT " + std::string(kColumns) + " FROM keystore_approvals " + std::string(where) +
                           " ORDER BY granted_ms DESC, rowid DESC");
  if (!query) return fail(query.error());
  if (!where.empty()) (*query)->bind_text(1, text);
  std::vector<Approval> out;
  for (;;) {
    auto step = (*query)->step();
    if (!step) return fail(step.error());
    if (*step == store::Statement::Step::kDone) return out;
    auto approval = read_row(**query);
    if (!approval) {
      (*query)->reset();
      return fail(approval.error());
    }
    out.push_back(std::move(*approval));
  }
}

Result<std::optional<Approval>> Approvals::find(std::string_view id) {
  auto found = select("WHERE id = ?1", id);
  if (!found) return fail(found.error());
  if (found->empty()) return std::nullopt;
  return std::move(found->front());
}

Result<std::optional<Approval>> Approvals::find_by_channel(std::string_view channel) {
  auto found = select("WHERE channel = ?1", channel);
  if (!found) return fail(found.error());
  if (found->empty()) return std::nullopt;
  return std::move(found->front());
}

Result<std::vector<Approval>> Approvals::list() { return select("", ""); }

Result<std::vector<Approval>> Approvals::lookalikes(std::string_view url, const crypto::Ed25519PublicKey& app_key) {
  auto same_url = select("WHERE app_url = ?1", url);
  if (!same_url) return fail(same_url.error());
  std::erase_if(*same_url, [&](const Approval& a) { return a.revoked_at || a.app_key == app_key; });
  return same_url;
}

Result<void> Approvals::update(std::string_view set, std::string_view id, std::int64_t value) {
  if (auto ready = ensure_table(); !ready) return fail(ready.error());
  auto statement = db_->cached("UPDATE keystore_approvals SET " + std::string(set) + " WHERE id = ?2");
  if (!statement) return fail(statement.error());
  (*statement)->bind_int64(1, value).bind_text(2, id);
  if (auto run = (*statement)->run(); !run) return fail(run.error());
  if (db_->changes() == 0) return unknown(id);
  return {};
}

Result<void> Approvals::revoke(std::string_view id, TimePoint now) {
  return update("revoked_ms = COALESCE(revoked_ms, ?1)", id, to_ms(now));
}

Result<Approval> Approvals::renew(std::string_view id, TimePoint now) {
  auto found = find(id);
  if (!found) return fail(found.error());
  if (!*found) return unknown(id);
  if ((*found)->revoked_at) {
    return fail(Errc::kApprovalRevoked, "approval " + std::string(id) + " was revoked on " +
                                            iso_time(*(*found)->revoked_at) + "; the app must ask again");
  }
  const TimePoint expires = from_ms(to_ms(now)) + kApprovalLifetime;
  if (auto updated = update("expires_ms = ?1, paused_until_ms = NULL", id, to_ms(expires)); !updated) {
    return fail(updated.error());
  }
  (*found)->expires_at = expires;
  (*found)->paused_until.reset();
  return std::move(**found);
}

Result<void> Approvals::pause(std::string_view id, TimePoint until) {
  return update("paused_until_ms = ?1", id, to_ms(until));
}

Result<void> Approvals::set_channel(std::string_view id, std::string_view channel) {
  if (auto ready = ensure_table(); !ready) return fail(ready.error());
  auto statement = db_->cached("UPDATE keystore_approvals SET channel = ?1 WHERE id = ?2");
  if (!statement) return fail(statement.error());
  (*statement)->bind_text(1, channel).bind_text(2, id);
  if (auto run = (*statement)->run(); !run) return fail(run.error());
  if (db_->changes() == 0) return unknown(id);
  return {};
}

Result<void> Approvals::record_use(std::string_view id, std::string_view method, std::uint64_t counter, TimePoint now) {
  if (auto ready = ensure_table(); !ready) return fail(ready.error());
  // The method is one of the method table's names (letters, digits, '_'): a safe JSON path member.
  auto statement = db_->cached(
      "UPDATE keystore_approvals SET last_used_ms = ?1, last_counter = ?3, "
      "calls = json_set(calls, ?5, COALESCE(json_extract(calls, ?5), 0) + 1) "
      "WHERE id = ?4 AND last_counter < ?3");
  if (!statement) return fail(statement.error());
  (*statement)
      ->bind_int64(1, to_ms(now))
      .bind_int64(3, static_cast<std::int64_t>(std::min<std::uint64_t>(counter, INT64_MAX)))
      .bind_text(4, id)
      .bind_text(5, "$.\"" + std::string(method) + "\"");
  if (auto run = (*statement)->run(); !run) return fail(run.error());
  if (db_->changes() == 1) return {};
  auto found = find(id);
  if (!found) return fail(found.error());
  if (!*found) return unknown(id);
  return fail(Errc::kReplayedCounter, "appCounter " + std::to_string(counter) +
                                          " is not greater than the last accepted, " +
                                          std::to_string((*found)->last_counter) + ": a replayed request");
}

}  // namespace keylink::keystore
