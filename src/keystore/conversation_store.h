// The conversations a LocalKeystore knows, kept in the table xmtp_conversations of the home database:
//   xmtp_conversations(topic TEXT PRIMARY KEY, version INTEGER (1 | 2), created_ns INTEGER,
//                      peer_address TEXT, conversation_id TEXT, metadata TEXT (a JSON object),
//                      sealed_key BLOB (V2: the key material sealed under "xmtp-topic:<topic>"; V1: NULL))
// and in memory, all of them, from open() on: a page of messages looks its topic up once per message.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "keylink/base/result.h"
#include "keylink/base/rng.h"
#include "keylink/base/secret.h"
#include "keylink/identity/keystore.h"
#include "keylink/store/database.h"
#include "keylink/store/vault.h"

namespace keylink::keystore {

struct StoredConversation {
  identity::ConversationReference reference;
  std::optional<Secret<32>> key_material;  // V2 conversations only
};

// Thread-compatible, on the thread of its Database. REQUIRES: db and vault outlive it.
class ConversationStore {
 public:
  // Creates the table when missing and loads every row; kCorrupt names a row whose key does not open.
  static Result<ConversationStore> open(store::Database& db, const store::Vault& vault);

  const StoredConversation* find(const std::string& topic) const;
  // Stores a new conversation. For a topic already known with the same peer and key (an invitation is
  // often received many times: deterministic invitations, both invite topics, resends) the earlier one
  // is kept and the later one dropped, as xmtp-js does. Returns the one kept. Fails with
  // KeystoreErrc::kConflict, keeping the known one, for a known topic with another peer, another key, or
  // another version: whoever learned a topic must not take its conversation over.
  Result<const StoredConversation*> add(StoredConversation conversation, Rng& rng);
  // V2 (with a key) or V1 conversations, oldest first.
  std::vector<identity::ConversationReference> list(bool v2) const;
  const std::map<std::string, StoredConversation>& all() const noexcept { return by_topic_; }

 private:
  ConversationStore(store::Database& db, const store::Vault& vault) : db_(&db), vault_(&vault) {}
  store::Database* db_;
  const store::Vault* vault_;
  std::map<std::string, StoredConversation> by_topic_;
};

}  // namespace keylink::keystore
