#include "keylink/keystore/audit_log.h"

#include <algorithm>
#include <functional>
#include <limits>

#include "keylink/base/encoding.h"
#include "keylink/keystore/errors.h"
#include "keylink/store/errors.h"
#include "keylink/store/transaction.h"
#include "signed_bytes.h"
#include "time_ms.h"

namespace keylink::keystore {
namespace {

using detail::append_be;
using detail::append_text;
using detail::from_ms;
using detail::to_ms;

constexpr std::string_view kCreateTables = R"sql(
  CREATE TABLE IF NOT EXISTS keystore_audit (
    seq INTEGER PRIMARY KEY,
    time_ms INTEGER NOT NULL,
    approval TEXT NOT NULL,
    method TEXT NOT NULL,
    items INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    topics TEXT NOT NULL,
    mac BLOB NOT NULL);
  CREATE TABLE IF NOT EXISTS keystore_audit_key (id INTEGER PRIMARY KEY CHECK (id = 1), sealed_key BLOB NOT NULL);
  CREATE TABLE IF NOT EXISTS keystore_audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL, mac BLOB NOT NULL);
)sql";

constexpr std::string_view kKeyLabel = "keystore-audit-key";
constexpr std::string_view kHeadDomain = "keylink-audit-head-v1";

Bytes canonical_bytes(const AuditEntry& entry) {
  Bytes out;
  append_be(out, entry.seq, 8);
  append_be(out, static_cast<std::uint64_t>(to_ms(entry.time)), 8);
  append_text(out, entry.approval);
  append_text(out, entry.method);
  append_text(out, entry.outcome);
  append_be(out, entry.items, 8);
  append_be(out, entry.topic_hashes.size(), 4);
  for (const auto& hash : entry.topic_hashes) append_text(out, hash);
  return out;
}

std::string joined(const std::vector<std::string>& hashes) {
  std::string out;
  for (const auto& hash : hashes) out += (out.empty() ? "" : ",") + hash;
  return out;
}

std::vector<std::string> split(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const auto comma = std::min(text.find(','), text.size());
    out.emplace_back(text.substr(0, comma));
    text.remove_prefix(std::min(comma + 1, text.size()));
  }
  return out;
}

// A MAC of another length reads as zeros, which no entry's HMAC is.
crypto::Digest32 digest_of(ByteView blob) {
  crypto::Digest32 out{};
  if (blob.size() == out.size()) std::copy(blob.begin(), blob.end(), out.begin());
  return out;
}

Error tampered_error(std::string message) { return {make_error_code(Errc::kAuditLogTampered), std::move(message)}; }
tl::unexpected<Error> tampered(std::string message) { return fail(tampered_error(std::move(message))); }

}  // namespace

Result<void> AuditLog::ensure_key() {
  if (key_ && !key_made_) return {};
  if (auto made = db_->exec(kCreateTables); !made) return fail(made.error());
  auto select = db_->prepare("SELECT sealed_key FROM keystore_audit_key WHERE id = 1");
  if (!select) return fail(select.error());
  auto step = select->step();
  if (!step) return fail(step.error());
  if (*step == store::Statement::Step::kRow) {
    auto key = vault_->open_fixed<32>(select->column_blob(0), kKeyLabel);
    select->reset();
    if (!key) return fail(context("audit log key", key.error()));
    key_ = std::move(*key);
    key_made_ = false;
    return {};
  }
  Secret<32> key;
  rng_->fill(key.expose_mutable());
  auto insert = db_->prepare("INSERT INTO keystore_audit_key (id, sealed_key) VALUES (1, ?1)");
  if (!insert) return fail(insert.error());
  insert->bind_blob(1, vault_->seal(key.expose(), kKeyLabel, *rng_));
  if (auto run = insert->run(); !run) return fail(run.error());
  key_ = std::move(key);
  key_made_ = true;
  return {};
}

crypto::Digest32 AuditLog::entry_mac(const crypto::Digest32& previous, const AuditEntry& entry) const {
  Bytes data(previous.begin(), previous.end());
  const Bytes canonical = canonical_bytes(entry);
  data.insert(data.end(), canonical.begin(), canonical.end());
  return crypto::hmac_sha256(key_->expose(), data);
}

crypto::Digest32 AuditLog::head_mac(std::uint64_t seq, const crypto::Digest32& last) const {
  Bytes data(kHeadDomain.begin(), kHeadDomain.end());
  append_be(data, seq, 8);
  data.insert(data.end(), last.begin(), last.end());
  return crypto::hmac_sha256(key_->expose(), data);
}

Result<std::uint64_t> AuditLog::append(const AuditEvent& event, TimePoint time) {
  if (auto ready = ensure_key(); !ready) return fail(ready.error());
  if (db_->in_transaction()) return append_in_transaction(event, time);
  auto transaction = store::Transaction::begin(*db_);
  if (!transaction) return fail(transaction.error());
  auto seq = append_in_transaction(event, time);
  if (!seq) return seq;
  if (auto committed = transaction->commit(); !committed) return fail(committed.error());
  return seq;
}

Result<std::uint64_t> AuditLog::append_in_transaction(const AuditEvent& event, TimePoint time) {
  auto newest = this->newest(1);
  if (!newest) return fail(newest.error());
  AuditEntry entry;
  entry.seq = newest->empty() ? 1 : newest->front().seq + 1;
  entry.time = from_ms(to_ms(time));
  entry.approval = event.approval;
  entry.method = event.method.substr(0, kMaxLoggedMethod);
  entry.items = std::min<std::uint64_t>(event.items, INT64_MAX);  // SQLite's integers are signed
  entry.outcome = event.outcome;
  for (const auto& topic : event.topics) entry.topic_hashes.push_back(to_hex(crypto::sha256(as_bytes(topic))));
  entry.mac = entry_mac(newest->empty() ? crypto::Digest32{} : newest->front().mac, entry);

  auto insert = db_->cached(
      "INSERT INTO keystore_audit (seq, time_ms, approval, method, items, outcome, topics, mac) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  if (!insert) return fail(insert.error());
  (*insert)
      ->bind_int64(1, static_cast<std::int64_t>(entry.seq))
      .bind_int64(2, to_ms(entry.time))
      .bind_text(3, entry.approval)
      .bind_text(4, entry.method)
      .bind_int64(5, static_cast<std::int64_t>(entry.items))
      .bind_text(6, entry.outcome)
      .bind_text(7, joined(entry.topic_hashes))
      .bind_blob(8, entry.mac);
  if (auto run = (*insert)->run(); !run) return fail(run.error());
  auto head = db_->cached("INSERT OR REPLACE INTO keystore_audit_head (id, seq, mac) VALUES (1, ?1, ?2)");
  if (!head) return fail(head.error());
  (*head)->bind_int64(1, static_cast<std::int64_t>(entry.seq)).bind_blob(2, head_mac(entry.seq, entry.mac));
  if (auto run = (*head)->run(); !run) return fail(run.error());
  return entry.seq;
}

Result<void> AuditLog::for_each(std::string_view order_limit, std::optional<std::int64_t> limit,
                                const std::function<bool(AuditEntry)>& visit) {
  auto query = db_->cached("SELECT seq, time_ms, approval, method, items, outcome, topics, mac FROM keystore_audit " +
                           std::string(order_limit));
  if (!query) return fail(query.error());
  if (limit) (*query)->bind_int64(1, *limit);
  for (;;) {
    auto step = (*query)->step();
    if (!step) return fail(step.error());
    if (*step == store::Statement::Step::kDone) return {};
    const auto& row = **query;
    AuditEntry entry;
    entry.seq = static_cast<std::uint64_t>(row.column_int64(0));
    entry.time = from_ms(row.column_int64(1));
    entry.approval = std::string(row.column_text(2));
    entry.method = std::string(row.column_text(3));
    entry.items = static_cast<std::uint64_t>(row.column_int64(4));
    entry.outcome = std::string(row.column_text(5));
    entry.topic_hashes = split(row.column_text(6));
    entry.mac = digest_of(row.column_blob(7));
    if (!visit(std::move(entry))) {
      (*query)->reset();
      return {};
    }
  }
}

Result<std::vector<AuditEntry>> AuditLog::newest(std::size_t limit) {
  const auto capped = static_cast<std::int64_t>(std::min<std::size_t>(limit, std::numeric_limits<std::int64_t>::max()));
  std::vector<AuditEntry> out;
  auto read = for_each("ORDER BY seq DESC LIMIT ?1", capped, [&](AuditEntry entry) {
    out.push_back(std::move(entry));
    return true;
  });
  if (!read) return fail(read.error());
  return out;
}

Result<std::vector<AuditEntry>> AuditLog::list(std::size_t limit) {
  if (auto ready = ensure_key(); !ready) return fail(ready.error());
  auto entries = newest(limit);
  if (entries) std::reverse(entries->begin(), entries->end());
  return entries;
}

// Streams the log, oldest first: a wallet's log may hold millions of entries.
Result<void> AuditLog::verify() {
  if (auto ready = ensure_key(); !ready) return fail(ready.error());
  crypto::Digest32 previous{};
  std::uint64_t expected = 1;
  std::optional<Error> broken;
  auto read = for_each("ORDER BY seq", std::nullopt, [&](AuditEntry entry) {
    const std::string seq = std::to_string(entry.seq);
    if (entry.seq != expected) {
      broken = tampered_error("audit log entry " + std::to_string(expected) + " is missing (the log goes on at entry " +
                              seq + "): entries were deleted");
    } else if (!constant_time_equal(entry_mac(previous, entry), entry.mac)) {
      broken = tampered_error("audit log entry " + seq + " does not check out: it was changed or moved");
    }
    previous = entry.mac;
    ++expected;
    return !broken;
  });
  if (!read) return fail(read.error());
  if (broken) return fail(std::move(*broken));
  auto head = db_->prepare("SELECT seq, mac FROM keystore_audit_head WHERE id = 1");
  if (!head) return fail(head.error());
  auto step = head->step();
  if (!step) return fail(step.error());
  const std::uint64_t last = expected - 1;
  if (*step == store::Statement::Step::kDone) {
    if (last == 0) return {};
    return tampered("audit log entry " + std::to_string(last) + ": the log's head is missing");
  }
  const auto head_seq = static_cast<std::uint64_t>(head->column_int64(0));
  const bool head_ok = head_seq == last && constant_time_equal(head_mac(last, previous), head->column_blob(1));
  head->reset();
  if (!head_ok) {
    if (head_seq > last) {
      return tampered("audit log entry " + std::to_string(last + 1) + " is missing: the log ends at entry " +
                      std::to_string(last) + " but it had " + std::to_string(head_seq) + " entries");
    }
    return tampered("audit log entry " + std::to_string(last) + ": the log's head does not check out");
  }
  return {};
}

}  // namespace keylink::keystore
