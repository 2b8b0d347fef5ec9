#include "keylink/keystore/local_keystore.h"

#include <utility>
#include <variant>

#include "conversation_store.h"
#include "invitations.h"
#include "keylink/crypto/hash.h"
#include "keylink/crypto/xmtp/ciphertext.h"
#include "keylink/crypto/xmtp/conversation_keys.h"
#include "keylink/crypto/xmtp/self_encryption.h"
#include "keylink/identity/keystore_errors.h"
#include "keylink/store/errors.h"
#include "keylink/store/transaction.h"
#include "keylink/wire/errors.h"
#include "keylink/wire/xmtp/authn.h"
#include "keylink/wire/xmtp/content.h"
#include "keylink/wire/xmtp/message.h"
#include "keylink/wire/xmtp/message_v1.h"
#include "keylink/wire/xmtp/private_preferences.h"
#include "keylink/wire/xmtp/signatures.h"

namespace keylink::keystore {
namespace {

namespace wx = wire::xmtp;

constexpr const char* kCreateTable = R"sql(
  CREATE TABLE IF NOT EXISTS xmtp_identity (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    address TEXT NOT NULL,
    sealed_bundle BLOB NOT NULL)
)sql";

// xmtp-js's polling cursors (Keystore::refresh_job), by xmtp's JobType.
constexpr const char* kCreateJobsTable = R"sql(
  CREATE TABLE IF NOT EXISTS xmtp_refresh_jobs (
    kind INTEGER PRIMARY KEY,
    last_run_ns INTEGER NOT NULL)
)sql";

constexpr std::int64_t kNanosPerSecond = 1'000'000'000;

// Batches: every item gets its own result, as the keystore RPCs answer.
template <class Request, class Fn>
auto each(std::span<const Request> requests, Fn&& fn) {
  std::vector<decltype(fn(requests.front()))> out;
  out.reserve(requests.size());
  for (const auto& request : requests) out.push_back(fn(request));
  return out;
}

}  // namespace

struct LocalKeystore::State {
  State(store::Database& db_in, const store::Vault& vault_in, Rng& rng_in, identity::XmtpIdentity identity_in,
        ConversationStore conversations_in)
      : db(&db_in),
        vault(&vault_in),
        rng(&rng_in),
        identity(std::move(identity_in)),
        public_bundle(identity.public_bundle()),
        address(identity.wallet().to_string()),
        conversations(std::move(conversations_in)) {}

  store::Database* db;
  const store::Vault* vault;
  Rng* rng;
  identity::XmtpIdentity identity;
  wx::SignedPublicKeyBundle public_bundle;
  std::string address;
  ConversationStore conversations;

  const wx::PrivateKeyBundleV1& v1() const { return identity.bundle_v1(); }
  const wx::PrivateKeyBundleV2& v2() const { return identity.bundle_v2(); }

  // The key of a V2 topic, or kUnknownConversation.
  Result<const Secret<32>*> topic_key(const std::string& topic) const {
    const auto* conversation = conversations.find(topic);
    if (!conversation || !conversation->key_material) {
      return fail(identity::KeystoreErrc::kUnknownConversation, "no key for topic " + topic + ": its invitation was not read");
    }
    return &*conversation->key_material;
  }

  Result<identity::EncryptedV2> encrypt_v2(const identity::EncryptV2Request& request) {
    auto key = topic_key(request.content_topic);
    if (!key) return fail(key.error());
    // The header is checked before anything is signed: the signature must only ever cover a message
    // of this conversation, never a digest chosen by the caller.
    auto header = wx::decode_message_header_v2(request.header_bytes);
    if (!header) return fail(context("message header", header.error()));
    if (header->topic != request.content_topic) {
      return fail(identity::KeystoreErrc::kBadHeader, "message header names topic " + header->topic + ", not " + request.content_topic);
    }
    if (auto content = wx::decode_encoded_content(request.content); !content) {
      return fail(context("content", content.error()));
    }
    const auto& pre_key = v2().pre_keys.front().secret;
    const auto digest = crypto::sha256(concat(request.header_bytes, request.content));
    const wx::SignedContent signed_content{request.content, public_bundle,
                                           wx::Signature{wx::SignatureKind::kEcdsaCompact,
                                                         pre_key.sign_recoverable(digest)}};
    auto ciphertext = crypto::xmtp::seal((*key)->expose(), wx::encode(signed_content), request.header_bytes, *rng);
    const auto period =
        crypto::xmtp::thirty_day_period(static_cast<std::int64_t>(header->created_ns / kNanosPerSecond));
    const auto hmac = crypto::xmtp::sender_hmac(**key, period, address, request.header_bytes);
    return identity::EncryptedV2{std::move(ciphertext), Bytes(hmac.begin(), hmac.end())};
  }
};

namespace {

// The identity row, in the caller's transaction.
Result<void> store_identity(store::Database& db, const store::Vault& vault, const identity::XmtpIdentity& identity,
                            Rng& rng) {
  if (auto made = db.exec(kCreateTable); !made) return fail(made.error());
  auto insert = db.prepare("INSERT OR IGNORE INTO xmtp_identity (id, address, sealed_bundle) VALUES (1, ?1, ?2)");
  if (!insert) return fail(insert.error());
  insert->bind_text(1, identity.wallet().to_string())
      .bind_blob(2, vault.seal(wx::encode(identity.bundle_v1()), kXmtpIdentityLabel, rng));
  if (auto stored = insert->run(); !stored) return fail(stored.error());
  if (db.changes() == 0) {
    return fail(identity::KeystoreErrc::kIdentityExists, "this home already has a messaging identity");
  }
  return {};
}

// The identity row's new bundle (a rotated pre-key), in the caller's transaction.
Result<void> replace_identity(store::Database& db, const store::Vault& vault, const identity::XmtpIdentity& identity,
                              Rng& rng) {
  auto update = db.prepare("UPDATE xmtp_identity SET sealed_bundle = ?1 WHERE id = 1 AND address = ?2");
  if (!update) return fail(update.error());
  update->bind_blob(1, vault.seal(wx::encode(identity.bundle_v1()), kXmtpIdentityLabel, rng))
      .bind_text(2, identity.wallet().to_string());
  if (auto stored = update->run(); !stored) return fail(stored.error());
  if (db.changes() != 1) return fail(store::Errc::kCorrupt, "xmtp_identity: the identity row is gone");
  return {};
}

}  // namespace

Result<std::unique_ptr<LocalKeystore>> LocalKeystore::create(store::Database& db, const store::Vault& vault,
                                                              identity::XmtpIdentity identity, Rng& rng) {
  auto txn = store::Transaction::begin(db);
  if (!txn) return fail(txn.error());
  if (auto stored = store_identity(db, vault, identity, rng); !stored) return fail(stored.error());
  if (auto made = db.exec(kCreateJobsTable); !made) return fail(made.error());
  auto conversations = ConversationStore::open(db, vault);
  if (!conversations) return fail(conversations.error());
  if (auto committed = txn->commit(); !committed) return fail(committed.error());
  return std::unique_ptr<LocalKeystore>(new LocalKeystore(
      std::make_unique<State>(db, vault, rng, std::move(identity), std::move(*conversations))));
}

Result<std::unique_ptr<LocalKeystore>> LocalKeystore::load(store::Database& db, const store::Vault& vault, Rng& rng) {
  if (auto made = db.exec(kCreateTable); !made) return fail(made.error());
  if (auto made = db.exec(kCreateJobsTable); !made) return fail(made.error());
  auto select = db.prepare("SELECT address, sealed_bundle FROM xmtp_identity WHERE id = 1");
  if (!select) return fail(select.error());
  auto step = select->step();
  if (!step) return fail(step.error());
  if (*step == store::Statement::Step::kDone) {
    return fail(identity::KeystoreErrc::kNoIdentity, "this home has no messaging identity yet: run `keylink account create`");
  }
  auto wallet = crypto::EthAddress::parse(select->column_text(0));
  if (!wallet) return fail(store::Errc::kCorrupt, "xmtp_identity: the address is not an Ethereum address");
  auto sealed = vault.open(select->column_blob(1), kXmtpIdentityLabel);
  if (!sealed) return fail(context("xmtp_identity", sealed.error()));
  auto bundle = wx::decode_private_key_bundle(sealed->expose());
  if (!bundle || !std::holds_alternative<wx::PrivateKeyBundleV1>(*bundle)) {
    return fail(store::Errc::kCorrupt, "xmtp_identity: the sealed bundle is not a PrivateKeyBundleV1");
  }
  auto identity = identity::XmtpIdentity::from_bundle(std::get<wx::PrivateKeyBundleV1>(std::move(*bundle)), *wallet);
  if (!identity) return fail(store::Errc::kCorrupt, "xmtp_identity: " + identity.error().message);
  auto conversations = ConversationStore::open(db, vault);
  if (!conversations) return fail(conversations.error());
  return std::unique_ptr<LocalKeystore>(new LocalKeystore(
      std::make_unique<State>(db, vault, rng, std::move(*identity), std::move(*conversations))));
}

LocalKeystore::LocalKeystore(std::unique_ptr<State> state) : state_(std::move(state)) {}
LocalKeystore::~LocalKeystore() = default;

Result<void> LocalKeystore::adopt(store::Database& db, const store::Vault& vault, wx::LinkedAccount account, Rng& rng) {
  auto identity = identity::XmtpIdentity::from_bundle(std::move(account.identity), account.wallet);
  if (!identity) return fail(context("the linked identity", identity.error()));
  if (auto stored = store_identity(db, vault, *identity, rng); !stored) return fail(stored.error());
  auto conversations = ConversationStore::open(db, vault);
  if (!conversations) return fail(conversations.error());
  for (auto& linked : account.conversations) {
    StoredConversation conversation{{linked.topic, linked.created_ns, linked.peer_address, {}, {}}, std::nullopt};
    if (linked.invitation) {
      conversation.reference.conversation_id = linked.invitation->conversation_id;
      conversation.reference.metadata = linked.invitation->metadata;
      conversation.key_material = std::move(linked.invitation->key_material);
    }
    if (auto kept = conversations->add(std::move(conversation), rng); !kept) return fail(kept.error());
  }
  return {};
}

SecretBytes LocalKeystore::linked_account() const {
  std::vector<wx::LinkedConversation> conversations;
  for (const auto& [topic, stored] : state_->conversations.all()) {
    const auto& reference = stored.reference;
    wx::LinkedConversation& linked =
        conversations.emplace_back(wx::LinkedConversation{topic, reference.created_ns, reference.peer_address, {}});
    if (stored.key_material) {
      linked.invitation.emplace(wx::InvitationV1{topic, reference.conversation_id, reference.metadata,
                                                 Secret<32>(stored.key_material->expose()), std::nullopt});
    }
  }
  return wx::encode_linked_account(state_->identity.bundle_v1(), state_->identity.wallet(), conversations);
}

const crypto::Secp256k1PrivateKey& LocalKeystore::identity_key() const noexcept {
  return state_->v1().identity_key.secret;
}

Result<void> LocalKeystore::rotate_pre_key(const Clock& clock, Rng& rng, const WithNewBundles& also) {
  auto rotated = state_->identity.with_new_pre_key(clock, rng);
  if (!rotated) return fail(context("new pre-key", rotated.error()));
  auto txn = store::Transaction::begin(*state_->db);
  if (!txn) return fail(txn.error());
  if (auto stored = replace_identity(*state_->db, *state_->vault, *rotated, rng); !stored) return stored;
  if (also) {
    if (auto written = also(rotated->public_bundle_v1(), rotated->public_bundle()); !written) return written;
  }
  if (auto committed = txn->commit(); !committed) return committed;
  state_->public_bundle = rotated->public_bundle();
  state_->identity = std::move(*rotated);
  return {};
}

std::string LocalKeystore::account_address() const { return state_->address; }

wx::SignedPublicKeyBundle LocalKeystore::public_key_bundle() const { return state_->public_bundle; }

wx::PublicKeyBundle LocalKeystore::legacy_public_key_bundle() const {
  return {state_->v1().identity_key.public_key, state_->v1().pre_keys.front().public_key};
}

std::vector<Result<Bytes>> LocalKeystore::decrypt_v1(std::span<const identity::DecryptV1Request> requests) {
  return each(requests, [this](const identity::DecryptV1Request& request) {
    return wx::open_message_v1(state_->v1(), request.message);
  });
}

std::vector<Result<wx::MessageV1>> LocalKeystore::encrypt_v1(std::span<const identity::EncryptV1Request> requests) {
  return each(requests, [this](const identity::EncryptV1Request& request) {
    return wx::seal_message_v1(state_->v1(), request.recipient, request.payload, request.timestamp_ms, *state_->rng);
  });
}

std::vector<Result<Bytes>> LocalKeystore::decrypt_v2(std::span<const identity::DecryptV2Request> requests) {
  return each(requests, [this](const identity::DecryptV2Request& request) -> Result<Bytes> {
    auto key = state_->topic_key(request.content_topic);
    if (!key) return fail(key.error());
    return crypto::xmtp::open((*key)->expose(), request.ciphertext, request.header_bytes);
  });
}

std::vector<Result<identity::EncryptedV2>> LocalKeystore::encrypt_v2(
    std::span<const identity::EncryptV2Request> requests) {
  return each(requests, [this](const identity::EncryptV2Request& request) { return state_->encrypt_v2(request); });
}

std::vector<Result<identity::ConversationReference>> LocalKeystore::save_invites(
    std::span<const identity::SaveInviteRequest> requests) {
  return each(requests, [this](const identity::SaveInviteRequest& request) -> Result<identity::ConversationReference> {
    auto opened = open_invitation(state_->v2(), state_->address, request);
    if (!opened) return fail(opened.error());
    auto kept = state_->conversations.add(std::move(*opened), *state_->rng);
    if (!kept) return fail(kept.error());
    return (*kept)->reference;
  });
}

Result<identity::CreatedInvite> LocalKeystore::create_invite(const identity::CreateInviteRequest& request) {
  auto sealed = seal_invitation(state_->v2(), state_->address, request, *state_->rng);
  if (!sealed) return fail(sealed.error());
  auto kept = state_->conversations.add(std::move(sealed->second), *state_->rng);
  if (!kept) return fail(kept.error());
  // An older invitation to the same topic wins: answer with the conversation as kept.
  sealed->first.conversation = (*kept)->reference;
  return std::move(sealed->first);
}

Result<void> LocalKeystore::save_v1_conversations(std::span<const identity::ConversationReference> conversations) {
  for (const auto& reference : conversations) {
    auto kept = state_->conversations.add(StoredConversation{reference, std::nullopt}, *state_->rng);
    if (!kept) return fail(kept.error());
  }
  return {};
}

Result<std::vector<identity::ConversationReference>> LocalKeystore::v1_conversations() {
  return state_->conversations.list(false);
}

Result<std::vector<identity::ConversationReference>> LocalKeystore::v2_conversations() {
  return state_->conversations.list(true);
}

std::vector<Result<Bytes>> LocalKeystore::self_encrypt(std::span<const Bytes> payloads) {
  return each(payloads, [this](const Bytes& payload) -> Result<Bytes> {
    return wx::seal_private_preferences(state_->v1().identity_key.secret, payload, *state_->rng);
  });
}

std::vector<Result<Bytes>> LocalKeystore::self_decrypt(std::span<const Bytes> payloads) {
  return each(payloads, [this](const Bytes& payload) {
    return wx::open_private_preferences(state_->v1().identity_key.secret, payload);
  });
}

Result<std::string> LocalKeystore::private_preferences_topic_identifier() {
  return crypto::xmtp::private_preferences_topic_identifier(state_->v1().identity_key.secret);
}

Result<std::map<std::string, std::vector<identity::HmacKey>>> LocalKeystore::v2_conversation_hmac_keys(
    std::span<const std::string> topics, std::int64_t now_s) {
  std::map<std::string, std::vector<identity::HmacKey>> out;
  const auto now = crypto::xmtp::thirty_day_period(now_s);
  for (const auto& topic : topics) {
    auto key = state_->topic_key(topic);
    if (!key) continue;
    auto& keys = out[topic];
    for (const auto period : {now - 1, now, now + 1}) {
      keys.push_back({period, crypto::xmtp::sender_hmac_key(**key, period, state_->address)});
    }
  }
  return out;
}

Result<wx::Signature> LocalKeystore::sign_digest(ByteView digest, std::uint32_t pre_key_index) {
  crypto::Digest32 value{};
  if (digest.size() != value.size()) {
    return fail(Errc::kWrongLength, "digest: expected 32 bytes, got " + std::to_string(digest.size()));
  }
  const auto& pre_keys = state_->v1().pre_keys;
  if (pre_key_index >= pre_keys.size()) {
    return fail(identity::KeystoreErrc::kNoPreKey, "no pre-key " + std::to_string(pre_key_index) + ": this identity has " +
                                                       std::to_string(pre_keys.size()));
  }
  std::copy(digest.begin(), digest.end(), value.begin());
  return wx::Signature{wx::SignatureKind::kEcdsaCompact, pre_keys[pre_key_index].secret.sign_recoverable(value)};
}

Result<Bytes> LocalKeystore::create_auth_token(std::uint64_t timestamp_ns) {
  const auto& identity_key = state_->v1().identity_key;
  wx::AuthToken token{identity_key.public_key, {}, {state_->address, timestamp_ns}, {}};
  token.auth_data_bytes = wx::encode(token.auth_data);
  // xmtp-js LocalAuthenticator.createToken: keccak256 of the AuthData bytes.
  token.auth_data_signature = {wx::SignatureKind::kEcdsaCompact,
                               identity_key.secret.sign_recoverable(crypto::keccak256(token.auth_data_bytes))};
  return wx::encode(token);
}

Result<std::int64_t> LocalKeystore::refresh_job(identity::RefreshJob kind) {
  auto select = state_->db->prepare("SELECT last_run_ns FROM xmtp_refresh_jobs WHERE kind = ?1");
  if (!select) return fail(select.error());
  select->bind_int64(1, static_cast<std::int64_t>(kind));
  auto step = select->step();
  if (!step) return fail(step.error());
  if (*step == store::Statement::Step::kDone) return std::int64_t{0};
  return select->column_int64(0);
}

Result<void> LocalKeystore::set_refresh_job(identity::RefreshJob kind, std::int64_t last_run_ns) {
  auto upsert = state_->db->prepare("INSERT OR REPLACE INTO xmtp_refresh_jobs (kind, last_run_ns) VALUES (?1, ?2)");
  if (!upsert) return fail(upsert.error());
  upsert->bind_int64(1, static_cast<std::int64_t>(kind)).bind_int64(2, last_run_ns);
  return upsert->run();
}

}  // namespace keylink::keystore
