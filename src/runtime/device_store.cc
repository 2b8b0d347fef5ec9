#include "keylink/runtime/device_store.h"

#include <chrono>
#include <string>
#include <utility>

#include "keylink/store/errors.h"

namespace keylink::runtime {
namespace {

constexpr const char* kCreateTables = R"sql(
  CREATE TABLE IF NOT EXISTS device_self (id INTEGER PRIMARY KEY CHECK (id = 1), sealed_keys BLOB NOT NULL);
  CREATE TABLE IF NOT EXISTS device_list (id INTEGER PRIMARY KEY CHECK (id = 1), list BLOB NOT NULL);
  CREATE TABLE IF NOT EXISTS device_group_keys (id INTEGER PRIMARY KEY CHECK (id = 1), sealed_ring BLOB NOT NULL);
  CREATE TABLE IF NOT EXISTS device_state (id INTEGER PRIMARY KEY CHECK (id = 1), state BLOB NOT NULL);
  CREATE TABLE IF NOT EXISTS device_link_code (
    id INTEGER PRIMARY KEY CHECK (id = 1), sealed_digits BLOB NOT NULL, made_at_ms INTEGER NOT NULL,
    used INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS device_seen (id BLOB PRIMARY KEY, last_seen_ms INTEGER NOT NULL, ghost INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS device_published (
    id INTEGER PRIMARY KEY CHECK (id = 1), list_version INTEGER NOT NULL, heartbeat_ms INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS device_read (digest BLOB PRIMARY KEY) WITHOUT ROWID
)sql";

constexpr std::string_view kKeysLabel = "device-installation-keys";
constexpr std::string_view kCodeLabel = "device-link-code";
constexpr std::string_view kGroupKeysLabel = "device-group-keys";

// The one row of a one-row table, or nullopt.
template <class T, class Fn>
Result<std::optional<T>> one_row(store::Database& db, std::string_view sql, Fn&& read) {
  auto select = db.prepare(sql);
  if (!select) return fail(select.error());
  auto step = select->step();
  if (!step) return fail(step.error());
  if (*step == store::Statement::Step::kDone) return std::optional<T>();
  auto value = read(*select);
  if (!value) return fail(value.error());
  return std::optional<T>(std::move(*value));
}

}  // namespace

Result<DeviceStore> DeviceStore::open(store::Database& db, const store::Vault& vault) {
  if (auto made = db.exec(kCreateTables); !made) return fail(made.error());
  return DeviceStore(db, vault);
}

Result<std::optional<sync::InstallationKeys>> DeviceStore::keys() const {
  return one_row<sync::InstallationKeys>(*db_, "SELECT sealed_keys FROM device_self WHERE id = 1",
                 [this](store::Statement& row) -> Result<sync::InstallationKeys> {
                   auto opened = vault_->open_fixed<64>(row.column_blob(0), kKeysLabel);
                   if (!opened) return fail(context("device_self", opened.error()));
                   const auto bytes = opened->expose();
                   return sync::InstallationKeys{
                       crypto::Ed25519KeyPair::from_seed(Secret<32>(bytes.first<32>())),
                       crypto::X25519KeyPair::from_private(Secret<32>(bytes.last<32>()))};
                 });
}

Result<void> DeviceStore::save_keys(const sync::InstallationKeys& keys, Rng& rng) {
  Secret<64> both;
  auto out = both.expose_mutable();
  const Secret<32> seed = keys.signing.seed();
  std::copy(seed.expose().begin(), seed.expose().end(), out.begin());
  std::copy(keys.sealing.private_key.expose().begin(), keys.sealing.private_key.expose().end(), out.begin() + 32);
  auto insert = db_->prepare("INSERT OR REPLACE INTO device_self (id, sealed_keys) VALUES (1, ?1)");
  if (!insert) return fail(insert.error());
  insert->bind_blob(1, vault_->seal(both.expose(), kKeysLabel, rng));
  return insert->run();
}

Result<std::optional<sync::InstallationList>> DeviceStore::list() const {
  return one_row<sync::InstallationList>(*db_, "SELECT list FROM device_list WHERE id = 1",
                 [](store::Statement& row) -> Result<sync::InstallationList> {
                   auto list = sync::decode_installation_list(row.column_blob(0));
                   if (!list) return fail(store::Errc::kCorrupt, "device_list: " + list.error().message);
                   return list;
                 });
}

Result<void> DeviceStore::save_list(const sync::InstallationList& list) {
  auto insert = db_->prepare("INSERT OR REPLACE INTO device_list (id, list) VALUES (1, ?1)");
  if (!insert) return fail(insert.error());
  insert->bind_blob(1, sync::encode(list));
  return insert->run();
}

Result<sync::GroupKeyRing> DeviceStore::group_keys() const {
  auto stored = one_row<sync::GroupKeyRing>(*db_, "SELECT sealed_ring FROM device_group_keys WHERE id = 1",
                                            [this](store::Statement& row) -> Result<sync::GroupKeyRing> {
                                              auto opened = vault_->open(row.column_blob(0), kGroupKeysLabel);
                                              if (!opened) return fail(context("device_group_keys", opened.error()));
                                              return sync::decode_group_key_ring(opened->expose());
                                            });
  if (!stored) return fail(stored.error());
  if (!*stored) return sync::GroupKeyRing();
  return std::move(**stored);
}

Result<void> DeviceStore::save_group_keys(const sync::GroupKeyRing& ring, Rng& rng) {
  auto insert = db_->prepare("INSERT OR REPLACE INTO device_group_keys (id, sealed_ring) VALUES (1, ?1)");
  if (!insert) return fail(insert.error());
  insert->bind_blob(1, vault_->seal(sync::encode(ring).expose(), kGroupKeysLabel, rng));
  return insert->run();
}

Result<sync::SyncState> DeviceStore::state(const sync::InstallationId& self) const {
  auto stored = one_row<sync::SyncState>(*db_, "SELECT state FROM device_state WHERE id = 1",
                        [&self](store::Statement& row) -> Result<sync::SyncState> {
                          auto state = sync::SyncState::decode(row.column_blob(0), self);
                          if (!state) return fail(store::Errc::kCorrupt, "device_state: " + state.error().message);
                          return state;
                        });
  if (!stored) return fail(stored.error());
  if (!*stored) return sync::SyncState(self);
  return std::move(**stored);
}

Result<void> DeviceStore::save_state(const sync::SyncState& state) {
  auto insert = db_->prepare("INSERT OR REPLACE INTO device_state (id, state) VALUES (1, ?1)");
  if (!insert) return fail(insert.error());
  insert->bind_blob(1, state.encode());
  return insert->run();
}

Result<std::map<sync::InstallationId, DeviceStore::Seen>> DeviceStore::seen() const {
  auto select = db_->prepare("SELECT id, last_seen_ms, ghost FROM device_seen");
  if (!select) return fail(select.error());
  std::map<sync::InstallationId, Seen> out;
  for (;;) {
    auto step = select->step();
    if (!step) return fail(step.error());
    if (*step == store::Statement::Step::kDone) return out;
    const ByteView id = select->column_blob(0);
    if (id.size() != sync::InstallationId{}.size()) return fail(store::Errc::kCorrupt, "device_seen: a bad id");
    sync::InstallationId key{};
    std::copy(id.begin(), id.end(), key.begin());
    out[key] = Seen{select->column_int64(1), select->column_int64(2) != 0};
  }
}

Result<void> DeviceStore::record_seen(const sync::InstallationId& id, std::int64_t at_ms, bool ghost) {
  auto upsert = db_->cached(
      "INSERT INTO device_seen (id, last_seen_ms, ghost) VALUES (?1, ?2, ?3) ON CONFLICT (id) DO UPDATE SET "
      "last_seen_ms = max(last_seen_ms, excluded.last_seen_ms), ghost = max(ghost, excluded.ghost)");
  if (!upsert) return fail(upsert.error());
  (*upsert)->bind_blob(1, id).bind_int64(2, at_ms).bind_int64(3, ghost ? 1 : 0);
  return (*upsert)->run();
}

Result<bool> DeviceStore::first_read(const crypto::Digest32& digest) {
  auto insert = db_->cached("INSERT OR IGNORE INTO device_read (digest) VALUES (?1)");
  if (!insert) return fail(insert.error());
  (*insert)->bind_blob(1, digest);
  if (auto ran = (*insert)->run(); !ran) return fail(ran.error());
  return db_->changes() > 0;
}

Result<DeviceStore::Published> DeviceStore::published() const {
  auto stored = one_row<Published>(*db_, "SELECT list_version, heartbeat_ms FROM device_published WHERE id = 1",
                                   [](store::Statement& row) -> Result<Published> {
                                     return Published{static_cast<std::uint64_t>(row.column_int64(0)),
                                                      row.column_int64(1)};
                                   });
  if (!stored) return fail(stored.error());
  return stored->value_or(Published{});
}

Result<void> DeviceStore::save_published(const Published& published) {
  auto insert =
      db_->prepare("INSERT OR REPLACE INTO device_published (id, list_version, heartbeat_ms) VALUES (1, ?1, ?2)");
  if (!insert) return fail(insert.error());
  insert->bind_int64(1, static_cast<std::int64_t>(published.list_version)).bind_int64(2, published.heartbeat_ms);
  return insert->run();
}

Result<std::optional<link::OneTimeCode>> DeviceStore::code() const {
  return one_row<link::OneTimeCode>(*db_, "SELECT sealed_digits, made_at_ms, used FROM device_link_code WHERE id = 1",
                 [this](store::Statement& row) -> Result<link::OneTimeCode> {
                   auto digits = vault_->open_fixed<link::kCodeDigits>(row.column_blob(0), kCodeLabel);
                   if (!digits) return fail(context("device_link_code", digits.error()));
                   return link::OneTimeCode{std::move(*digits),
                                            TimePoint(std::chrono::milliseconds(row.column_int64(1))),
                                            row.column_int64(2) != 0};
                 });
}

Result<void> DeviceStore::save_code(const link::OneTimeCode& code, Rng& rng) {
  auto insert = db_->prepare(
      "INSERT OR REPLACE INTO device_link_code (id, sealed_digits, made_at_ms, used) VALUES (1, ?1, ?2, ?3)");
  if (!insert) return fail(insert.error());
  const auto made_at_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(code.made_at.time_since_epoch()).count();
  insert->bind_blob(1, vault_->seal(code.digits.expose(), kCodeLabel, rng))
      .bind_int64(2, made_at_ms)
      .bind_int64(3, code.used ? 1 : 0);
  return insert->run();
}

}  // namespace keylink::runtime
