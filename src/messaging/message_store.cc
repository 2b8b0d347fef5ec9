#include "keylink/messaging/message_store.h"

#include <limits>
#include <string>
#include <utility>

#include "keylink/store/errors.h"
#include "keylink/store/transaction.h"

namespace keylink::messaging {
namespace {

// sent_ns leads the topic index: a topic's messages come out in order without a sort.
constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS xmtp_messages (id TEXT PRIMARY KEY, topic TEXT NOT NULL, sender TEXT NOT NULL,
                                          sent_ns INTEGER NOT NULL, sealed_content BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS xmtp_messages_topic ON xmtp_messages (topic, sent_ns);
CREATE TABLE IF NOT EXISTS xmtp_topic_sync (topic TEXT PRIMARY KEY, last_ns INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS xmtp_read_cursor (topic TEXT PRIMARY KEY, published_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS xmtp_contacts (address TEXT PRIMARY KEY, bundle BLOB NOT NULL,
                                          published_ns INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS xmtp_consent (address TEXT PRIMARY KEY, state TEXT NOT NULL,
                                         updated_ns INTEGER NOT NULL);
)sql";

// read_message() reads the columns in this order.
constexpr std::string_view kSelectTopic =
    "SELECT id, topic, sender, sent_ns, sealed_content FROM xmtp_messages WHERE topic = ?1 ORDER BY sent_ns, id";
constexpr std::string_view kSelectLast =
    "SELECT id, topic, sender, sent_ns, sealed_content FROM xmtp_messages WHERE topic = ?1 "
    "ORDER BY sent_ns DESC, id DESC LIMIT 1";

// The label (the seal's associated data) binds the content to the whole row: a row whose topic, sender
// or time was altered, or content moved to another row, does not open. The topic goes last: the other
// fields hold no newline, so no two rows share a label.
std::string message_label(std::string_view id, std::string_view topic, std::string_view sender, std::int64_t sent_ns) {
  return "xmtp-message/2:" + std::string(id) + "\n" + std::string(sender) + "\n" + std::to_string(sent_ns) + "\n" +
         std::string(topic);
}
// Before version 2, the label named the id alone.
std::string legacy_message_label(std::string_view id) { return "xmtp-message:" + std::string(id); }

constexpr std::string_view kSealingSchema = R"sql(
CREATE TABLE IF NOT EXISTS xmtp_message_sealing (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);
)sql";
constexpr std::int64_t kSealingVersion = 2;

// Reseals the rows of a cache made before version 2 under their version 2 labels, once, in one
// transaction. A row whose content does not open under its old label fails the upgrade (kCorrupt).
Result<void> upgrade_sealing(store::Database& db, const store::Vault& vault, Rng& rng) {
  if (auto made = db.exec(kSealingSchema); !made) return made;
  auto version = db.prepare("SELECT version FROM xmtp_message_sealing WHERE id = 1");
  if (!version) return fail(version.error());
  auto step = version->step();
  if (!step) return fail(step.error());
  const bool current = *step == store::Statement::Step::kRow && version->column_int64(0) >= kSealingVersion;
  version->reset();
  if (current) return {};
  // Inside the caller's transaction when one is open.
  std::optional<store::Transaction> txn;
  if (!db.in_transaction()) {
    auto begun = store::Transaction::begin(db);
    if (!begun) return fail(begun.error());
    txn.emplace(std::move(*begun));
  }
  struct Row {
    std::string id, topic, sender;
    std::int64_t sent_ns;
    Bytes sealed;
  };
  std::vector<Row> rows;
  auto select = db.prepare("SELECT id, topic, sender, sent_ns, sealed_content FROM xmtp_messages");
  if (!select) return fail(select.error());
  for (;;) {
    auto next = select->step();
    if (!next) return fail(next.error());
    if (*next == store::Statement::Step::kDone) break;
    const auto blob = select->column_blob(4);
    rows.push_back({std::string(select->column_text(0)), std::string(select->column_text(1)),
                    std::string(select->column_text(2)), select->column_int64(3), Bytes(blob.begin(), blob.end())});
  }
  auto update = db.prepare("UPDATE xmtp_messages SET sealed_content = ?2 WHERE id = ?1");
  if (!update) return fail(update.error());
  for (const Row& row : rows) {
    auto content = vault.open(row.sealed, legacy_message_label(row.id));
    if (!content) return fail(context("message " + row.id + " in " + db.path(), content.error()));
    update->bind_text(1, row.id).bind_blob(
        2, vault.seal(content->expose(), message_label(row.id, row.topic, row.sender, row.sent_ns), rng));
    if (auto ran = update->run(); !ran) return ran;
  }
  if (auto marked = db.exec("INSERT OR REPLACE INTO xmtp_message_sealing (id, version) VALUES (1, 2)"); !marked) {
    return marked;
  }
  return txn ? txn->commit() : Result<void>();
}

// SQLite integers are signed; a nanosecond time past 2262 (only a hostile or broken peer writes one)
// would wrap negative and sort first, so it is refused rather than stored out of order.
Result<std::int64_t> to_column(std::uint64_t ns, std::string_view what) {
  if (ns > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return fail(store::Errc::kConstraint, std::string(what) + ": timestamp " + std::to_string(ns) +
                                              " ns is past what the store keeps (year 2262)");
  }
  return static_cast<std::int64_t>(ns);
}

std::uint64_t from_column(std::int64_t value) { return value < 0 ? 0 : static_cast<std::uint64_t>(value); }

std::optional<Consent> parse_consent(std::string_view text) {
  for (Consent consent : {Consent::kUnknown, Consent::kAllowed, Consent::kDenied}) {
    if (to_string(consent) == text) return consent;
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(Consent consent) {
  switch (consent) {
    case Consent::kUnknown: return "unknown";
    case Consent::kAllowed: return "allowed";
    case Consent::kDenied: return "denied";
  }
  return "unknown";
}

Result<MessageStore> MessageStore::open(store::Database& db, const store::Vault& vault, Rng& rng) {
  if (auto created = db.exec(kSchema); !created) return fail(context("message store", created.error()));
  if (auto upgraded = upgrade_sealing(db, vault, rng); !upgraded) {
    return fail(context("message store: resealing messages", upgraded.error()));
  }
  return MessageStore(db, vault);
}

Result<bool> MessageStore::add(const DecodedMessage& message, Rng& rng) {
  return add(StoredMessage{message.id, message.topic, message.sender_address, message.sent_ns, message.content}, rng);
}

Result<bool> MessageStore::add(const StoredMessage& message, Rng& rng) {
  auto sent_ns = to_column(message.sent_ns, "message " + message.id);
  if (!sent_ns) return fail(sent_ns.error());
  auto insert = db_->cached(
      "INSERT OR IGNORE INTO xmtp_messages (id, topic, sender, sent_ns, sealed_content) VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!insert) return fail(insert.error());
  const Bytes sealed =
      vault_->seal(message.content, message_label(message.id, message.topic, message.sender_address, *sent_ns), rng);
  (*insert)
      ->bind_text(1, message.id)
      .bind_text(2, message.topic)
      .bind_text(3, message.sender_address)
      .bind_int64(4, *sent_ns)
      .bind_blob(5, sealed);
  if (auto ran = (*insert)->run(); !ran) return fail(context("message " + message.id, ran.error()));
  return db_->changes() > 0;
}

Result<StoredMessage> MessageStore::read_message(store::Statement& row) {
  const std::int64_t sent_ns = row.column_int64(3);
  StoredMessage message{std::string(row.column_text(0)),
                        std::string(row.column_text(1)),
                        std::string(row.column_text(2)),
                        from_column(sent_ns),
                        {}};
  auto content =
      vault_->open(row.column_blob(4), message_label(message.id, message.topic, message.sender_address, sent_ns));
  if (!content) return fail(context("message " + message.id + " in " + db_->path(), content.error()));
  message.content.assign(content->expose().begin(), content->expose().end());
  return message;
}

Result<void> MessageStore::read_messages(store::Statement& select, std::vector<StoredMessage>& out,
                                         std::int64_t* last_rowid) {
  for (;;) {
    auto step = select.step();
    if (!step) return fail(step.error());
    if (*step == store::Statement::Step::kDone) return {};
    auto message = read_message(select);
    if (!message) {
      select.reset();
      return fail(message.error());
    }
    if (last_rowid) *last_rowid = select.column_int64(5);
    out.push_back(std::move(*message));
  }
}

Result<std::vector<StoredMessage>> MessageStore::messages(const std::string& topic) {
  auto select = db_->cached(kSelectTopic);
  if (!select) return fail(select.error());
  (*select)->bind_text(1, topic);
  std::vector<StoredMessage> out;
  if (auto read = read_messages(**select, out); !read) return fail(read.error());
  return out;
}

Result<MessageStore::Page> MessageStore::page(std::int64_t after, std::size_t limit) {
  auto select = db_->cached(
      "SELECT id, topic, sender, sent_ns, sealed_content, rowid FROM xmtp_messages WHERE rowid > ?1 ORDER BY rowid "
      "LIMIT ?2");
  if (!select) return fail(select.error());
  (*select)->bind_int64(1, after).bind_int64(2, static_cast<std::int64_t>(limit));
  Page out{{}, after};
  if (auto read = read_messages(**select, out.messages, &out.next); !read) return fail(read.error());
  return out;
}

Result<std::vector<MessageStore::PageBound>> MessageStore::page_bounds(std::size_t max_bytes) {
  auto select = db_->prepare(
      "SELECT rowid, length(id) + length(topic) + length(sender) + length(sealed_content) FROM xmtp_messages "
      "ORDER BY rowid");
  if (!select) return fail(select.error());
  std::vector<PageBound> out;
  std::size_t bytes = 0;
  std::int64_t last = 0;
  for (;;) {
    auto step = select->step();
    if (!step) return fail(step.error());
    if (*step == store::Statement::Step::kDone) return out;
    const auto size = static_cast<std::size_t>(select->column_int64(1));
    if (out.empty() || (bytes + size > max_bytes && out.back().count > 0)) {
      out.push_back({last, 0});
      bytes = 0;
    }
    ++out.back().count;
    bytes += size;
    last = select->column_int64(0);
  }
}

Result<std::int64_t> MessageStore::count_all() {
  auto select = db_->cached("SELECT COUNT(*) FROM xmtp_messages");
  if (!select) return fail(select.error());
  auto step = (*select)->step();
  if (!step) return fail(step.error());
  const std::int64_t count = (*select)->column_int64(0);
  (*select)->reset();
  return count;
}

Result<std::optional<StoredMessage>> MessageStore::last_message(const std::string& topic) {
  auto select = db_->cached(kSelectLast);
  if (!select) return fail(select.error());
  (*select)->bind_text(1, topic);
  auto step = (*select)->step();
  if (!step) return fail(step.error());
  if (*step == store::Statement::Step::kDone) return std::optional<StoredMessage>();
  auto message = read_message(**select);
  (*select)->reset();
  if (!message) return fail(message.error());
  return std::optional<StoredMessage>(std::move(*message));
}

Result<std::int64_t> MessageStore::count(const std::string& topic) {
  auto select = db_->cached("SELECT count(*) FROM xmtp_messages WHERE topic = ?1");
  if (!select) return fail(select.error());
  (*select)->bind_text(1, topic);
  auto step = (*select)->step();
  if (!step) return fail(step.error());
  const std::int64_t n = (*select)->column_int64(0);
  (*select)->reset();
  return n;
}

Result<std::uint64_t> MessageStore::last_read(const std::string& topic) {
  auto select = db_->cached("SELECT last_ns FROM xmtp_topic_sync WHERE topic = ?1");
  if (!select) return fail(select.error());
  (*select)->bind_text(1, topic);
  auto step = (*select)->step();
  if (!step) return fail(step.error());
  if (*step == store::Statement::Step::kDone) return std::uint64_t{0};
  const std::uint64_t last = from_column((*select)->column_int64(0));
  (*select)->reset();
  return last;
}

// max() in the upsert: a late page of older envelopes never rewinds the mark.
Result<void> MessageStore::set_last_read(const std::string& topic, std::uint64_t timestamp_ns) {
  auto last = to_column(timestamp_ns, "topic " + topic);
  if (!last) return fail(last.error());
  auto upsert = db_->cached(
      "INSERT INTO xmtp_topic_sync (topic, last_ns) VALUES (?1, ?2) "
      "ON CONFLICT (topic) DO UPDATE SET last_ns = max(last_ns, excluded.last_ns)");
  if (!upsert) return fail(upsert.error());
  return (*upsert)->bind_text(1, topic).bind_int64(2, *last).run();
}

Result<std::int64_t> MessageStore::read_cursor(const std::string& topic) {
  auto select = db_->cached("SELECT published_ms FROM xmtp_read_cursor WHERE topic = ?1");
  if (!select) return fail(select.error());
  (*select)->bind_text(1, topic);
  auto step = (*select)->step();
  if (!step) return fail(step.error());
  if (*step == store::Statement::Step::kDone) return std::int64_t{0};
  const std::int64_t published_ms = (*select)->column_int64(0);
  (*select)->reset();
  return published_ms;
}

Result<void> MessageStore::set_read_cursor(const std::string& topic, std::int64_t published_ms) {
  auto upsert = db_->cached(
      "INSERT INTO xmtp_read_cursor (topic, published_ms) VALUES (?1, ?2) "
      "ON CONFLICT (topic) DO UPDATE SET published_ms = max(published_ms, excluded.published_ms)");
  if (!upsert) return fail(upsert.error());
  return (*upsert)->bind_text(1, topic).bind_int64(2, published_ms).run();
}

Result<void> MessageStore::put_contact(const std::string& address, const wire::xmtp::SignedPublicKeyBundle& bundle,
                                       std::uint64_t published_ns) {
  auto published = to_column(published_ns, "contact " + address);
  if (!published) return fail(published.error());
  auto upsert = db_->cached(
      "INSERT INTO xmtp_contacts (address, bundle, published_ns) VALUES (?1, ?2, ?3) "
      "ON CONFLICT (address) DO UPDATE SET bundle = excluded.bundle, published_ns = excluded.published_ns "
      "WHERE excluded.published_ns > xmtp_contacts.published_ns");
  if (!upsert) return fail(upsert.error());
  return (*upsert)->bind_text(1, address).bind_blob(2, wire::xmtp::encode(bundle)).bind_int64(3, *published).run();
}

Result<std::optional<wire::xmtp::SignedPublicKeyBundle>> MessageStore::contact(const std::string& address) {
  auto select = db_->cached("SELECT bundle FROM xmtp_contacts WHERE address = ?1");
  if (!select) return fail(select.error());
  (*select)->bind_text(1, address);
  auto step = (*select)->step();
  if (!step) return fail(step.error());
  if (*step == store::Statement::Step::kDone) return std::optional<wire::xmtp::SignedPublicKeyBundle>();
  auto bundle = wire::xmtp::decode_signed_public_key_bundle((*select)->column_blob(0));
  (*select)->reset();
  if (!bundle) {
    return fail(store::Errc::kCorrupt,
                "contact " + address + " in " + db_->path() + ": stored bundle: " + bundle.error().message);
  }
  return std::optional<wire::xmtp::SignedPublicKeyBundle>(std::move(*bundle));
}

Result<std::vector<std::pair<std::string, std::uint64_t>>> MessageStore::contacts() {
  auto select = db_->cached("SELECT address, published_ns FROM xmtp_contacts ORDER BY address");
  if (!select) return fail(select.error());
  std::vector<std::pair<std::string, std::uint64_t>> out;
  for (;;) {
    auto step = (*select)->step();
    if (!step) return fail(step.error());
    if (*step == store::Statement::Step::kDone) return out;
    out.emplace_back(std::string((*select)->column_text(0)), from_column((*select)->column_int64(1)));
  }
}

// >=: of two decisions at the same instant, the later call wins, so a repeated set is not ignored.
Result<void> MessageStore::set_consent(const std::string& address, Consent consent, std::uint64_t updated_ns) {
  auto updated = to_column(updated_ns, "consent of " + address);
  if (!updated) return fail(updated.error());
  auto upsert = db_->cached(
      "INSERT INTO xmtp_consent (address, state, updated_ns) VALUES (?1, ?2, ?3) "
      "ON CONFLICT (address) DO UPDATE SET state = excluded.state, updated_ns = excluded.updated_ns "
      "WHERE excluded.updated_ns >= xmtp_consent.updated_ns");
  if (!upsert) return fail(upsert.error());
  return (*upsert)->bind_text(1, address).bind_text(2, to_string(consent)).bind_int64(3, *updated).run();
}

Result<bool> MessageStore::contains(const std::string& id) {
  auto select = db_->cached("SELECT 1 FROM xmtp_messages WHERE id = ?1");
  if (!select) return fail(select.error());
  (*select)->bind_text(1, id);
  auto step = (*select)->step();
  (*select)->reset();
  if (!step) return fail(step.error());
  return *step == store::Statement::Step::kRow;
}

Result<std::vector<std::string>> MessageStore::consent_addresses() {
  auto select = db_->cached("SELECT address FROM xmtp_consent ORDER BY address");
  if (!select) return fail(select.error());
  std::vector<std::string> out;
  for (;;) {
    auto step = (*select)->step();
    if (!step) return fail(step.error());
    if (*step == store::Statement::Step::kDone) return out;
    out.emplace_back((*select)->column_text(0));
  }
}

Result<Consent> MessageStore::consent(const std::string& address) {
  auto select = db_->cached("SELECT state FROM xmtp_consent WHERE address = ?1");
  if (!select) return fail(select.error());
  (*select)->bind_text(1, address);
  auto step = (*select)->step();
  if (!step) return fail(step.error());
  if (*step == store::Statement::Step::kDone) return Consent::kUnknown;
  const std::string state((*select)->column_text(0));
  (*select)->reset();
  auto consent = parse_consent(state);
  if (!consent) {
    return fail(store::Errc::kCorrupt,
                "consent of " + address + " in " + db_->path() + ": unknown state '" + state + "'");
  }
  return *consent;
}

}  // namespace keylink::messaging
