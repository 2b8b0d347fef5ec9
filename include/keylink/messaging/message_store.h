// The messaging layer's cache in the home database: messages already fetched and opened, how far each
// topic has been read, the contacts' verified bundles and the consent list.
//
//   xmtp_messages(id TEXT PRIMARY KEY, topic TEXT, sender TEXT, sent_ns INTEGER, sealed_content BLOB)
//   xmtp_topic_sync(topic TEXT PRIMARY KEY, last_ns INTEGER)   -- the newest envelope read on it
//   xmtp_read_cursor(topic TEXT PRIMARY KEY, published_ms INTEGER) -- where the next read begins
//   xmtp_contacts(address TEXT PRIMARY KEY, bundle BLOB, published_ns INTEGER)
//   xmtp_consent(address TEXT PRIMARY KEY, state TEXT ('unknown' | 'allowed' | 'denied'), updated_ns INTEGER)
// Message content is private: it is sealed by the home's Vault under a label that names the whole row
// (id, sender, sent_ns and topic), so content moved to another row, or a row whose sender, topic or time
// was altered in the file, does not open (kCorrupt, naming the message). Addresses are keys as given: the caller
// picks one spelling (EIP-55). Timestamps past INT64_MAX ns (year 2262) do not fit a SQLite integer and
// are refused with store::Errc::kConstraint. Other errors are the store's, naming the file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "keylink/base/result.h"
#include "keylink/base/rng.h"
#include "keylink/messaging/message.h"
#include "keylink/store/database.h"
#include "keylink/store/vault.h"
#include "keylink/wire/xmtp/keys.h"

namespace keylink::messaging {

enum class Consent { kUnknown, kAllowed, kDenied };
std::string_view to_string(Consent consent);

struct StoredMessage {
  std::string id;
  std::string topic;
  std::string sender_address;
  std::uint64_t sent_ns = 0;
  Bytes content;  // the EncodedContent
};

// Thread-compatible, on the thread of its Database. REQUIRES: db and vault outlive it.
class MessageStore {
 public:
  // Creates the tables when missing. A cache written before rows were sealed whole is resealed once
  // (in the caller's transaction, or one of its own), with nonces from `rng`.
  static Result<MessageStore> open(store::Database& db, const store::Vault& vault, Rng& rng);

  // Stores a message; false (and nothing written) when its id is known already: a replayed envelope.
  // Cheap enough to call for each message of a long conversation inside the caller's transaction.
  Result<bool> add(const DecodedMessage& message, Rng& rng);
  // The same, for a message another device of the account stored (a link's history).
  Result<bool> add(const StoredMessage& message, Rng& rng);
  // Every stored message in the order it was stored, a page at a time: at most `limit` after position
  // `after` (0: from the first). A page's `next` is where the next one starts.
  struct Page {
    std::vector<StoredMessage> messages;
    std::int64_t next = 0;
  };
  Result<Page> page(std::int64_t after, std::size_t limit);
  // Where pages of about max_bytes each begin (page(after, count) reads one), by the stored sizes alone:
  // every message once, a message larger than max_bytes on a page of its own.
  struct PageBound {
    std::int64_t after = 0;
    std::size_t count = 0;
  };
  Result<std::vector<PageBound>> page_bounds(std::size_t max_bytes);
  Result<std::int64_t> count_all();
  // Whether a message with this id is stored: a reader skips opening it again.
  Result<bool> contains(const std::string& id);
  // The messages of a topic, oldest first (sent_ns, then id).
  Result<std::vector<StoredMessage>> messages(const std::string& topic);
  // The newest message of a topic (by sent_ns, then id), for the conversation list.
  Result<std::optional<StoredMessage>> last_message(const std::string& topic);
  Result<std::int64_t> count(const std::string& topic);

  // The timestamp of the newest envelope read on a topic (0 when never), to fetch only what is newer.
  Result<std::uint64_t> last_read(const std::string& topic);
  // Never moves backwards.
  Result<void> set_last_read(const std::string& topic, std::uint64_t timestamp_ns);

  // Where the next read of a topic begins: the relay's receipt time (unix ms) of the last relay message
  // read on it, refused or not, so that a read carries on after junk instead of reading it again; 0
  // when never. set_read_cursor never moves it backwards.
  Result<std::int64_t> read_cursor(const std::string& topic);
  Result<void> set_read_cursor(const std::string& topic, std::int64_t published_ms);

  // A contact's bundle (an encoded SignedPublicKeyBundle), as verified when it was fetched. Replaces the
  // stored one only when published_ns (Contact::published_ns: the signed creation time) is newer. contact() fails with kCorrupt when the stored bytes do
  // not decode.
  Result<void> put_contact(const std::string& address, const wire::xmtp::SignedPublicKeyBundle& bundle,
                           std::uint64_t published_ns);
  Result<std::optional<wire::xmtp::SignedPublicKeyBundle>> contact(const std::string& address);
  // Every known contact address with its bundle's publication time, by address.
  Result<std::vector<std::pair<std::string, std::uint64_t>>> contacts();

  // The newest decision wins: an older one (updated_ns) does not replace it; at the same updated_ns the
  // later call wins. kUnknown may be stored (a decision withdrawn).
  Result<void> set_consent(const std::string& address, Consent consent, std::uint64_t updated_ns);
  // kUnknown for an address never decided; kCorrupt for a stored state that is none of the three.
  Result<Consent> consent(const std::string& address);
  // Every address with a decision recorded, by address.
  Result<std::vector<std::string>> consent_addresses();

 private:
  MessageStore(store::Database& db, const store::Vault& vault) : db_(&db), vault_(&vault) {}
  Result<StoredMessage> read_message(store::Statement& row);
  // Every row of a stepped query, into out; column 5, when asked for, is the rowid of the last one.
  Result<void> read_messages(store::Statement& select, std::vector<StoredMessage>& out, std::int64_t* last_rowid = nullptr);
  store::Database* db_;
  const store::Vault* vault_;
};

}  // namespace keylink::messaging
