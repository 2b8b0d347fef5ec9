// The Keystore: the only way the messaging layer reaches an XMTP identity's private keys.
//
// It is the XMTP keystore RPC set (xmtp-js 11.5–13.x, keystore_api/v1) as a C++ interface, with these
// deliberate differences, each closing a hazard of the original:
// - there is no getPrivateKeyBundle: private keys never leave a keystore;
// - signDigest signs with pre-keys only (sign_digest): xmtp-js signs a V2 message's content through it
//   with pre-key 0, and the same call with the identity key would sign any digest (auth tokens, a
//   pre-key of the caller's choosing). encrypt_v2 signs its content itself, over sha256(header ‖
//   content) of a header it checks; sign_digest is there for xmtp-js, whose messages a pre-key signs;
// - createAuthToken signs only an AuthData{this wallet, timestamp} it writes itself (create_auth_token):
//   xmtp's network authenticates clients with such tokens, and a keystore elsewhere serves xmtp-js.
//   Whether the timestamp is acceptable is the caller's policy (keystore::KeystoreService checks it);
// - V1 requests carry the whole message: the header names both parties, so there is no peer argument
//   to disagree with it, and encrypt_v1 writes the header it encrypts under.
// - refresh jobs: xmtp-js keeps its polling cursors in the keystore, so a keystore keeps them for it.
//
// Batches: each item of a batch succeeds or fails on its own, as in the RPCs, so that a remote keystore
// answers a page of messages in one round trip and one bad message does not hide the others.
// Implementations: keystore::LocalKeystore (in process, keys sealed in the home) and
// keystore::RemoteKeystore (a wallet's keystore, over a session or a local socket).
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "keylink/base/bytes.h"
#include "keylink/base/result.h"
#include "keylink/base/secret.h"
#include "keylink/wire/xmtp/ciphertext.h"
#include "keylink/wire/xmtp/keys.h"
#include "keylink/wire/xmtp/message.h"

namespace keylink::identity {

// A conversation the keystore holds the keys of (keystore.ConversationReference).
struct ConversationReference {
  std::string topic;  // "/xmtp/0/m-…/proto" (V2) or "/xmtp/0/dm-…/proto" (V1)
  std::uint64_t created_ns = 0;
  std::string peer_address;     // EIP-55
  std::string conversation_id;  // the invitation's context, empty when none
  std::map<std::string, std::string> metadata;

  friend bool operator==(const ConversationReference&, const ConversationReference&) = default;
};

// A V1 message names both parties' bundles in its header: the keystore finds its own side there.
struct DecryptV1Request {
  wire::xmtp::MessageV1 message;
};

struct EncryptV1Request {
  wire::xmtp::PublicKeyBundle recipient;
  Bytes payload;                   // an encoded EncodedContent
  std::uint64_t timestamp_ms = 0;  // the header's
};

struct DecryptV2Request {
  wire::xmtp::Ciphertext ciphertext;
  Bytes header_bytes;  // the MessageHeaderV2 bytes: the AAD
  std::string content_topic;
};

struct EncryptV2Request {
  Bytes content;       // an encoded EncodedContent
  Bytes header_bytes;  // an encoded MessageHeaderV2 whose topic is content_topic
  std::string content_topic;
};

// What encrypt_v2 gives: the SignedContent{content, my bundle, signature} sealed with the
// conversation's key, and the sender HMAC for the header's 30-day period.
struct EncryptedV2 {
  wire::xmtp::Ciphertext ciphertext;
  Bytes sender_hmac;
};

// A sealed invitation read from an invite topic.
struct SaveInviteRequest {
  std::string content_topic;
  std::uint64_t timestamp_ns = 0;  // the envelope's; must equal the header's created_ns
  Bytes sealed_invitation;         // a SealedInvitation
};

struct CreateInviteRequest {
  wire::xmtp::SignedPublicKeyBundle recipient;
  std::string conversation_id;
  std::map<std::string, std::string> metadata;
  std::uint64_t created_ns = 0;
};

struct CreatedInvite {
  Bytes sealed_invitation;  // to publish on both parties' invite topics
  ConversationReference conversation;
};

// xmtp's JobType: the polling cursors xmtp-js keeps in its keystore.
enum class RefreshJob { kV1 = 1, kV2 = 2, kPppp = 3 };  // PPPP: the private preferences

// The key a V2 conversation's sender HMACs are checked with, for one 30-day period.
struct HmacKey {
  std::int64_t thirty_day_period = 0;
  Secret<32> key;
};

class Keystore {
 public:
  virtual ~Keystore() = default;

  // The wallet address (EIP-55) the identity belongs to, and its public bundles.
  virtual std::string account_address() const = 0;
  virtual wire::xmtp::SignedPublicKeyBundle public_key_bundle() const = 0;
  virtual wire::xmtp::PublicKeyBundle legacy_public_key_bundle() const = 0;

  // V1 (direct messages keyed by 3DH between the two bundles). encrypt_v1 gives the whole message: its
  // header (my bundle, the recipient's, the timestamp) is the ciphertext's AAD.
  virtual std::vector<Result<Bytes>> decrypt_v1(std::span<const DecryptV1Request> requests) = 0;
  virtual std::vector<Result<wire::xmtp::MessageV1>> encrypt_v1(std::span<const EncryptV1Request> requests) = 0;

  // V2 (conversations keyed by an invitation). decrypt_v2 gives the decrypted payload (a SignedContent,
  // whose signature the caller checks: the keystore only holds the topic's key). Fails with
  // kUnknownConversation for a topic it has no key for.
  virtual std::vector<Result<Bytes>> decrypt_v2(std::span<const DecryptV2Request> requests) = 0;
  virtual std::vector<Result<EncryptedV2>> encrypt_v2(std::span<const EncryptV2Request> requests) = 0;

  // Opens invitations addressed to (or sent by) this identity and keeps the conversation keys. Refuses,
  // each with its reason, an invitation not for this identity, one whose header is altered or whose
  // created_ns differs from the envelope's, one whose sender's keys are not signed by a wallet, one
  // dated before either party's keys were made (kBadTime), one whose topic or key is not what the two
  // parties' keys derive, or that names a known topic with another peer or key (kConflict).
  virtual std::vector<Result<ConversationReference>> save_invites(std::span<const SaveInviteRequest> requests) = 0;
  // The deterministic V2 invitation to `recipient` (xmtp-js >= 9.4: the same two identities and id give
  // the same topic), sealed for both, and kept.
  virtual Result<CreatedInvite> create_invite(const CreateInviteRequest& request) = 0;

  virtual Result<void> save_v1_conversations(std::span<const ConversationReference> conversations) = 0;
  virtual Result<std::vector<ConversationReference>> v1_conversations() = 0;
  virtual Result<std::vector<ConversationReference>> v2_conversations() = 0;

  // Encryption to oneself (the private preferences: consent), and its topic identifier.
  virtual std::vector<Result<Bytes>> self_encrypt(std::span<const Bytes> payloads) = 0;
  virtual std::vector<Result<Bytes>> self_decrypt(std::span<const Bytes> payloads) = 0;
  virtual Result<std::string> private_preferences_topic_identifier() = 0;

  // For each topic known: the keys of this identity's own sender HMACs (a push server given them skips
  // the messages it sent) for the previous, current and next 30-day periods around `now_s`
  // (unix seconds). Topics it does not know are left out.
  virtual Result<std::map<std::string, std::vector<HmacKey>>> v2_conversation_hmac_keys(
      std::span<const std::string> topics, std::int64_t now_s) = 0;

  // A 32-byte digest signed (ecdsa_compact) by pre-key `pre_key_index` (0: the current one), as xmtp-js
  // signs a V2 message's content. Never by the identity key. Fails with base Errc::kWrongLength for a
  // digest that is not 32 bytes, kNoPreKey for an index past the last pre-key.
  virtual Result<wire::xmtp::Signature> sign_digest(ByteView digest, std::uint32_t pre_key_index) = 0;
  // An authn.Token (wire/xmtp/authn.h): AuthData{account_address(), timestamp_ns} signed by the identity
  // key over keccak256 of its bytes, as xmtp-js LocalAuthenticator makes it. Any timestamp: the caller
  // decides which it asks for.
  virtual Result<Bytes> create_auth_token(std::uint64_t timestamp_ns) = 0;
  // The last run of a refresh job, in ns (0 when never set), and its update.
  virtual Result<std::int64_t> refresh_job(RefreshJob kind) = 0;
  virtual Result<void> set_refresh_job(RefreshJob kind, std::int64_t last_run_ns) = 0;
};

}  // namespace keylink::identity
