#include "keylink/runtime/keystore_remote.h"

#include "keylink/base/check.h"
#include "keylink/identity/keystore_errors.h"
#include "keylink/keystore/remote_keystore.h"
#include "keylink/runtime/home.h"
#include "keylink/runtime/session_keystore_transport.h"
#include "keylink/runtime/socket_keystore_transport.h"

namespace keylink::runtime {
namespace {

Result<void> make_tables(store::Database& db) {
  return db.exec(
      "CREATE TABLE IF NOT EXISTS keystore_remote (id INTEGER PRIMARY KEY CHECK (id = 1), kind TEXT NOT NULL, "
      "place TEXT NOT NULL, address TEXT NOT NULL, wallet TEXT NOT NULL);"
      "CREATE TABLE IF NOT EXISTS keystore_counter (id INTEGER PRIMARY KEY CHECK (id = 1), end_ INTEGER NOT NULL);"
      "INSERT OR IGNORE INTO keystore_counter (id, end_) VALUES (1, 1)");
}

}  // namespace

Result<bool> holds_own_identity(store::Database& db) {
  auto select = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'xmtp_identity'");
  if (!select) return tl::unexpected(select.error());
  auto row = select->step();
  if (!row) return tl::unexpected(row.error());
  if (*row != store::Statement::Step::kRow) return false;
  auto own = db.prepare("SELECT 1 FROM xmtp_identity");
  if (!own) return tl::unexpected(own.error());
  auto found = own->step();
  if (!found) return tl::unexpected(found.error());
  return *found == store::Statement::Step::kRow;
}

Result<std::optional<KeystoreRemote>> load_keystore_remote(store::Database& db) {
  if (auto made = make_tables(db); !made) return tl::unexpected(made.error());
  auto select = db.prepare("SELECT kind, place, address, wallet FROM keystore_remote WHERE id = 1");
  if (!select) return tl::unexpected(select.error());
  auto row = select->step();
  if (!row) return tl::unexpected(row.error());
  if (*row != store::Statement::Step::kRow) return std::nullopt;
  return KeystoreRemote{
      .kind = select->column_text(0) == "socket" ? KeystoreRemote::Kind::kSocket : KeystoreRemote::Kind::kSession,
      .where = std::string(select->column_text(1)),
      .address = std::string(select->column_text(2)),
      .wallet = std::string(select->column_text(3))};
}

Result<void> save_keystore_remote(store::Database& db, const KeystoreRemote& remote) {
  if (auto made = make_tables(db); !made) return made;
  auto own = holds_own_identity(db);
  if (!own) return tl::unexpected(own.error());
  if (*own) {
    return fail(identity::KeystoreErrc::kIdentityExists,
                "this home holds a messaging identity of its own; connect a new home to the wallet instead");
  }
  auto insert = db.prepare("INSERT OR REPLACE INTO keystore_remote (id, kind, place, address, wallet) "
                           "VALUES (1, ?1, ?2, ?3, ?4)");
  if (!insert) return tl::unexpected(insert.error());
  insert->bind_text(1, remote.kind == KeystoreRemote::Kind::kSocket ? "socket" : "session")
      .bind_text(2, remote.where)
      .bind_text(3, remote.address)
      .bind_text(4, remote.wallet);
  return insert->run();
}

Result<Home> keystore_link(const Home& home, Rng& rng) {
  return home.another_connection(rng, kTransportClientKeyName, kKeystoreLinkFile);
}

Result<std::unique_ptr<identity::Keystore>> open_remote_keystore(const Home& home, const KeystoreRemote& remote,
                                                                 const relay::ClientOptions& relay,
                                                                 const session::Metadata& self, const Clock& clock) {
  auto transport = [&]() -> Result<std::unique_ptr<keystore::KeystoreTransport>> {
    if (remote.kind == KeystoreRemote::Kind::kSocket) {
      auto socket = SocketKeystoreTransport::connect(home, {.path = remote.where, .app_name = self.name, .app_url = self.url, .methods = {}});
      if (!socket) return tl::unexpected(socket.error());
      return std::move(*socket);
    }
    auto session = SessionKeystoreTransport::open(home, {.relay = relay, .self = self, .topic = remote.where}, clock);
    if (!session) return tl::unexpected(session.error());
    return std::move(*session);
  }();
  if (!transport) return tl::unexpected(transport.error());
  auto keystore = keystore::RemoteKeystore::connect(std::move(*transport));
  if (!keystore) return tl::unexpected(keystore.error());
  if ((*keystore)->account_address() != remote.address) {
    return fail(identity::KeystoreErrc::kRefused, "the wallet now holds the keys of " + (*keystore)->account_address() +
                                                      ", not of " + remote.address +
                                                      " this home was connected to; run `keylink keystore connect` again");
  }
  return std::unique_ptr<identity::Keystore>(std::move(*keystore));
}

Result<std::uint64_t> AppCounter::next() {
  if (next_ == end_) {
    // Reserve [counter_end, counter_end + block) in one statement of its own (never the caller's
    // transaction: a rollback there would hand the same counters out again).
    if (auto made = make_tables(db_); !made) return tl::unexpected(made.error());
    auto reserve = db_.prepare("UPDATE keystore_counter SET end_ = end_ + ?1 WHERE id = 1 RETURNING end_");
    if (!reserve) return tl::unexpected(reserve.error());
    reserve->bind_int64(1, static_cast<std::int64_t>(block_));
    auto row = reserve->step();
    if (!row) return tl::unexpected(row.error());
    KEYLINK_CHECK(*row == store::Statement::Step::kRow);
    end_ = static_cast<std::uint64_t>(reserve->column_int64(0));
    reserve->reset();
    next_ = end_ - block_;
  }
  return next_++;
}

}  // namespace keylink::runtime
