#include "conversation_store.h"

#include <algorithm>
#include <utility>

#include <nlohmann/json.hpp>

#include "keylink/identity/keystore_errors.h"
#include "keylink/store/errors.h"

namespace keylink::keystore {
namespace {

constexpr const char* kCreateTable = R"sql(
  CREATE TABLE IF NOT EXISTS xmtp_conversations (
    topic TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    created_ns INTEGER NOT NULL,
    peer_address TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    metadata TEXT NOT NULL,
    sealed_key BLOB)
)sql";

// The vault label binds a sealed key to its topic: a key moved to another row does not open.
std::string key_label(const std::string& topic) { return "xmtp-topic:" + topic; }

std::string metadata_text(const std::map<std::string, std::string>& metadata) {
  return nlohmann::json(metadata).dump();
}

Result<std::map<std::string, std::string>> parse_metadata(std::string_view text, const std::string& topic) {
  auto parsed = nlohmann::json::parse(text, nullptr, false);
  if (!parsed.is_object())
    return fail(store::Errc::kCorrupt, "conversation " + topic + ": metadata is not a JSON object");
  std::map<std::string, std::string> metadata;
  for (const auto& [key, value] : parsed.items()) {
    if (!value.is_string())
      return fail(store::Errc::kCorrupt, "conversation " + topic + ": metadata value is not text");
    metadata.emplace(key, value.get<std::string>());
  }
  return metadata;
}

// A conversation seen again must name the same peer and key: only its date may differ.
Result<void> check_same(const StoredConversation& known, const StoredConversation& again) {
  const auto& topic = known.reference.topic;
  if (again.reference.peer_address != known.reference.peer_address) {
    return fail(identity::KeystoreErrc::kConflict, "conversation " + topic + " is with " +
                                                       known.reference.peer_address + ", not " +
                                                       again.reference.peer_address + ": invitation refused");
  }
  if (known.key_material.has_value() != again.key_material.has_value() ||
      (known.key_material && !(*known.key_material == *again.key_material))) {
    return fail(identity::KeystoreErrc::kConflict,
                "conversation " + topic + " is known with another key: invitation refused");
  }
  return {};
}

}  // namespace

Result<ConversationStore> ConversationStore::open(store::Database& db, const store::Vault& vault) {
  if (auto made = db.exec(kCreateTable); !made) return fail(made.error());
  ConversationStore conversations(db, vault);
  auto select = db.prepare(
      "SELECT topic, created_ns, peer_address, conversation_id, metadata, sealed_key FROM xmtp_conversations");
  if (!select) return fail(select.error());
  for (;;) {
    auto step = select->step();
    if (!step) return fail(step.error());
    if (*step == store::Statement::Step::kDone) break;
    StoredConversation row;
    row.reference.topic = std::string(select->column_text(0));
    row.reference.created_ns = static_cast<std::uint64_t>(select->column_int64(1));
    row.reference.peer_address = std::string(select->column_text(2));
    row.reference.conversation_id = std::string(select->column_text(3));
    auto metadata = parse_metadata(select->column_text(4), row.reference.topic);
    if (!metadata) return fail(metadata.error());
    row.reference.metadata = std::move(*metadata);
    if (!select->column_is_null(5)) {
      auto key = vault.open_fixed<32>(select->column_blob(5), key_label(row.reference.topic));
      if (!key) return fail(context("conversation " + row.reference.topic, key.error()));
      row.key_material = std::move(*key);
    }
    std::string topic = row.reference.topic;
    conversations.by_topic_.emplace(std::move(topic), std::move(row));
  }
  return conversations;
}

const StoredConversation* ConversationStore::find(const std::string& topic) const {
  const auto found = by_topic_.find(topic);
  return found == by_topic_.end() ? nullptr : &found->second;
}

Result<const StoredConversation*> ConversationStore::add(StoredConversation conversation, Rng& rng) {
  const std::string& topic = conversation.reference.topic;
  if (const auto* known = find(topic)) {
    if (auto same = check_same(*known, conversation); !same) return fail(same.error());
    if (known->reference.created_ns <= conversation.reference.created_ns) return known;
  }
  auto upsert = db_->cached(
      "INSERT OR REPLACE INTO xmtp_conversations "
      "(topic, version, created_ns, peer_address, conversation_id, metadata, sealed_key) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  if (!upsert) return fail(upsert.error());
  (*upsert)
      ->bind_text(1, topic)
      .bind_int64(2, conversation.key_material ? 2 : 1)
      .bind_int64(3, static_cast<std::int64_t>(conversation.reference.created_ns))
      .bind_text(4, conversation.reference.peer_address)
      .bind_text(5, conversation.reference.conversation_id)
      .bind_text(6, metadata_text(conversation.reference.metadata));
  if (conversation.key_material) {
    (*upsert)->bind_blob(7, vault_->seal(conversation.key_material->expose(), key_label(topic), rng));
  } else {
    (*upsert)->bind_null(7);
  }
  if (auto stored = (*upsert)->run(); !stored) return fail(stored.error());
  std::string key = topic;
  auto& kept = by_topic_.insert_or_assign(std::move(key), std::move(conversation)).first->second;
  return &kept;
}

std::vector<identity::ConversationReference> ConversationStore::list(bool v2) const {
  std::vector<identity::ConversationReference> out;
  for (const auto& [topic, conversation] : by_topic_) {
    if (conversation.key_material.has_value() == v2) out.push_back(conversation.reference);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.created_ns < b.created_ns; });
  return out;
}

}  // namespace keylink::keystore
