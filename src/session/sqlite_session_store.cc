// The session tables of the home database. Records are JSON in one column (their shape is the
// messages.cc record form); the keychain holds secrets sealed by the vault, labelled by row, and so
// does session_pending: a request's params are what a peer asks the user to sign.
#include <string>

#include "keylink/store/transaction.h"

#include "keylink/session/session_store.h"
#include "keylink/store/errors.h"
#include "keylink/wire/json_text.h"
#include "messages.h"

namespace keylink::session {
namespace {

// The home database holds other components' tables too, so the schema version lives in our own table.
// 2: pending requests moved from session_requests (by id, in the clear) to session_pending (by topic and
// id, sealed).
constexpr std::int64_t kSchemaVersion = 2;

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS session_schema (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS session_keychain (name TEXT PRIMARY KEY, sealed BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS session_pairings (topic TEXT PRIMARY KEY, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS session_proposals (id INTEGER PRIMARY KEY, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS session_sessions (topic TEXT PRIMARY KEY, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS session_pending (topic TEXT NOT NULL, id INTEGER NOT NULL, sealed BLOB NOT NULL,
                                            PRIMARY KEY (topic, id));
CREATE TABLE IF NOT EXISTS session_seen (topic TEXT NOT NULL, id INTEGER NOT NULL, response INTEGER NOT NULL,
                                         expiry INTEGER NOT NULL, PRIMARY KEY (topic, id, response));
CREATE INDEX IF NOT EXISTS session_seen_expiry ON session_seen (expiry);
)sql";

std::string keychain_label(const std::string& name) { return "session-keychain:" + name; }
std::string request_label(const std::string& topic, std::int64_t id) {
  return "session-request:" + topic + ":" + std::to_string(id);
}

Bytes seal_request(const PendingRequest& request, const store::Vault& vault, Rng& rng) {
  std::string record = wire::dump_json(detail::to_json(request));
  Bytes sealed = vault.seal(as_bytes(record), request_label(request.topic, request.id), rng);
  secure_wipe(record.data(), record.size());
  return sealed;
}

class SqliteSessionStore final : public SessionStore {
 public:
  SqliteSessionStore(store::Database& db, const store::Vault& vault, Rng& rng) : db_(db), vault_(vault), rng_(rng) {}

  Result<void> put_key(const std::string& name, const Secret<32>& key) override {
    Bytes sealed = vault_.seal(key.expose(), keychain_label(name), rng_);
    auto statement = db_.cached("INSERT OR REPLACE INTO session_keychain (name, sealed) VALUES (?1, ?2)");
    if (!statement) return fail(statement.error());
    return (*statement)->bind_text(1, name).bind_blob(2, sealed).run();
  }

  Result<std::optional<Secret<32>>> get_key(const std::string& name) override {
    auto statement = db_.cached("SELECT sealed FROM session_keychain WHERE name = ?1");
    if (!statement) return fail(statement.error());
    (*statement)->bind_text(1, name);
    auto step = (*statement)->step();
    if (!step) return fail(step.error());
    if (*step == store::Statement::Step::kDone) return std::optional<Secret<32>>();
    auto key = vault_.open_fixed<32>((*statement)->column_blob(0), keychain_label(name));
    (*statement)->reset();
    if (!key) return fail(context("session keychain " + name, key.error()));
    return std::optional<Secret<32>>(std::move(*key));
  }

  Result<void> delete_key(const std::string& name) override {
    return run_text("DELETE FROM session_keychain WHERE name = ?1", name);
  }

  Result<void> put_pairing(const Pairing& pairing) override {
    return put_text("session_pairings", "topic", pairing.topic, detail::to_json(pairing));
  }
  Result<void> delete_pairing(const std::string& topic) override {
    return run_text("DELETE FROM session_pairings WHERE topic = ?1", topic);
  }
  Result<std::vector<Pairing>> pairings() override {
    return load<Pairing>("session_pairings", detail::parse_pairing_record);
  }

  Result<void> put_proposal(const Proposal& proposal) override {
    return put_int("session_proposals", proposal.id, detail::to_json(proposal));
  }
  Result<void> delete_proposal(std::int64_t id) override {
    return run_int("DELETE FROM session_proposals WHERE id = ?1", id);
  }
  Result<std::vector<Proposal>> proposals() override {
    return load<Proposal>("session_proposals", detail::parse_proposal_record);
  }

  Result<void> put_session(const Session& session) override {
    return put_text("session_sessions", "topic", session.topic, detail::to_json(session));
  }
  Result<void> delete_session(const std::string& topic) override {
    return run_text("DELETE FROM session_sessions WHERE topic = ?1", topic);
  }
  Result<std::vector<Session>> sessions() override {
    return load<Session>("session_sessions", detail::parse_session_record);
  }

  Result<void> put_request(const PendingRequest& request) override {
    auto statement = db_.cached("INSERT OR REPLACE INTO session_pending (topic, id, sealed) VALUES (?1, ?2, ?3)");
    if (!statement) return fail(statement.error());
    return (*statement)
        ->bind_text(1, request.topic)
        .bind_int64(2, request.id)
        .bind_blob(3, seal_request(request, vault_, rng_))
        .run();
  }
  Result<void> delete_request(const std::string& topic, std::int64_t id) override {
    auto statement = db_.cached("DELETE FROM session_pending WHERE topic = ?1 AND id = ?2");
    if (!statement) return fail(statement.error());
    return (*statement)->bind_text(1, topic).bind_int64(2, id).run();
  }
  Result<std::vector<PendingRequest>> requests() override {
    auto statement = db_.cached("SELECT topic, id, sealed FROM session_pending");
    if (!statement) return fail(statement.error());
    std::vector<PendingRequest> out;
    for (;;) {
      auto step = (*statement)->step();
      if (!step) return fail(step.error());
      if (*step == store::Statement::Step::kDone) return out;
      const std::string topic((*statement)->column_text(0));
      const std::int64_t id = (*statement)->column_int64(1);
      auto request = open_request((*statement)->column_blob(2), topic, id);
      if (!request) {
        (*statement)->reset();
        return fail(request.error());
      }
      out.push_back(std::move(*request));
    }
  }

  Result<bool> seen(const std::string& topic, std::int64_t id, bool response) override {
    auto statement = db_.cached("SELECT 1 FROM session_seen WHERE topic = ?1 AND id = ?2 AND response = ?3");
    if (!statement) return fail(statement.error());
    (*statement)->bind_text(1, topic).bind_int64(2, id).bind_int64(3, response ? 1 : 0);
    auto step = (*statement)->step();
    if (!step) return fail(step.error());
    (*statement)->reset();
    return *step == store::Statement::Step::kRow;
  }

  Result<void> mark_seen(const std::string& topic, std::int64_t id, bool response, std::int64_t expiry) override {
    auto statement =
        db_.cached("INSERT OR REPLACE INTO session_seen (topic, id, response, expiry) VALUES (?1, ?2, ?3, ?4)");
    if (!statement) return fail(statement.error());
    return (*statement)
        ->bind_text(1, topic)
        .bind_int64(2, id)
        .bind_int64(3, response ? 1 : 0)
        .bind_int64(4, expiry)
        .run();
  }

  Result<void> forget_seen_before(std::int64_t unix_seconds) override {
    return run_int("DELETE FROM session_seen WHERE expiry < ?1", unix_seconds);
  }

 private:
  Result<void> run_text(std::string_view sql, const std::string& value) {
    auto statement = db_.cached(sql);
    if (!statement) return fail(statement.error());
    return (*statement)->bind_text(1, value).run();
  }

  Result<void> run_int(std::string_view sql, std::int64_t value) {
    auto statement = db_.cached(sql);
    if (!statement) return fail(statement.error());
    return (*statement)->bind_int64(1, value).run();
  }

  Result<void> put_text(const std::string& table, const std::string& key_column, const std::string& key,
                        const Json& record) {
    auto statement = db_.cached("INSERT OR REPLACE INTO " + table + " (" + key_column + ", record) VALUES (?1, ?2)");
    if (!statement) return fail(statement.error());
    return (*statement)->bind_text(1, key).bind_text(2, wire::dump_json(record)).run();
  }

  Result<void> put_int(const std::string& table, std::int64_t id, const Json& record) {
    auto statement = db_.cached("INSERT OR REPLACE INTO " + table + " (id, record) VALUES (?1, ?2)");
    if (!statement) return fail(statement.error());
    return (*statement)->bind_int64(1, id).bind_text(2, wire::dump_json(record)).run();
  }

  template <class T, class Parse>
  Result<std::vector<T>> load(const std::string& table, Parse parse) {
    auto statement = db_.cached("SELECT record FROM " + table);
    if (!statement) return fail(statement.error());
    std::vector<T> out;
    for (;;) {
      auto step = (*statement)->step();
      if (!step) return fail(step.error());
      if (*step == store::Statement::Step::kDone) return out;
      Json json = Json::parse((*statement)->column_text(0), nullptr, /*allow_exceptions=*/false);
      auto record = parse(json);
      if (!record) {
        (*statement)->reset();
        return fail(store::Errc::kCorrupt, table + ": " + record.error().message);
      }
      out.push_back(std::move(*record));
    }
  }

  // A sealed record that opens under its row's label and names that row.
  Result<PendingRequest> open_request(ByteView sealed, const std::string& topic, std::int64_t id) {
    auto opened = vault_.open(sealed, request_label(topic, id));
    if (!opened) return fail(context("session_pending", opened.error()));
    const auto text = opened->expose();
    Json json = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
    auto request = detail::parse_request_record(json);
    if (!request || request->topic != topic || request->id != id) {
      return fail(store::Errc::kCorrupt, "session_pending: a request record is damaged");
    }
    return request;
  }

  store::Database& db_;
  const store::Vault& vault_;
  Rng& rng_;
};

// Version 1 kept requests in the clear in session_requests: they are sealed into session_pending and
// the old table dropped (its pages overwritten where the database has secure_delete on).
Result<void> migrate_requests_from_v1(store::Database& db, const store::Vault& vault, Rng& rng) {
  auto select = db.prepare("SELECT record FROM session_requests");
  if (!select) return fail(select.error());
  auto insert = db.prepare("INSERT OR REPLACE INTO session_pending (topic, id, sealed) VALUES (?1, ?2, ?3)");
  if (!insert) return fail(insert.error());
  for (;;) {
    auto step = select->step();
    if (!step) return fail(step.error());
    if (*step == store::Statement::Step::kDone) break;
    Json json = Json::parse(select->column_text(0), nullptr, /*allow_exceptions=*/false);
    auto request = detail::parse_request_record(json);
    if (!request) return fail(store::Errc::kCorrupt, "session_requests: " + request.error().message);
    insert->bind_text(1, request->topic).bind_int64(2, request->id).bind_blob(3, seal_request(*request, vault, rng));
    if (auto ran = insert->run(); !ran) return ran;
  }
  if (auto dropped = db.exec("DROP TABLE session_requests"); !dropped) return dropped;
  return db.exec("UPDATE session_schema SET version = 2");
}

Result<void> create_schema(store::Database& db, const store::Vault& vault, Rng& rng) {
  if (auto created = db.exec(kSchema); !created) return created;
  auto statement = db.prepare("SELECT version FROM session_schema");
  if (!statement) return fail(statement.error());
  auto step = statement->step();
  if (!step) return fail(step.error());
  if (*step == store::Statement::Step::kDone) {
    return db.exec("INSERT INTO session_schema (version) VALUES (" + std::to_string(kSchemaVersion) + ")");
  }
  const std::int64_t version = statement->column_int64(0);
  statement->reset();
  if (version > kSchemaVersion) {
    return fail(store::Errc::kIncompatible, "the session tables are of schema " + std::to_string(version) +
                                                ", newer than this keylink knows (" + std::to_string(kSchemaVersion) +
                                                "); upgrade keylink");
  }
  if (version == 1) return migrate_requests_from_v1(db, vault, rng);
  return {};
}

}  // namespace

Result<std::unique_ptr<SessionStore>> open_sqlite_session_store(store::Database& db, const store::Vault& vault,
                                                                Rng& rng) {
  // The tables, their version and a migration commit together (inside the caller's transaction, if any).
  std::optional<store::Transaction> tx;
  if (!db.in_transaction()) {
    auto begun = store::Transaction::begin(db);
    if (!begun) return fail(context("session store", begun.error()));
    tx.emplace(std::move(*begun));
  }
  if (auto schema = create_schema(db, vault, rng); !schema) return fail(context("session store", schema.error()));
  if (tx) {
    if (auto committed = tx->commit(); !committed) return fail(context("session store", committed.error()));
  }
  return std::unique_ptr<SessionStore>(new SqliteSessionStore(db, vault, rng));
}

}  // namespace keylink::session
