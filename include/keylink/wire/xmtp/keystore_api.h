// xmtp's keystore RPCs (keystore_api/v1/keystore.proto, the messages of docs/keystore.md's methods) as
// domain types: what keystore::KeystoreService decodes from an app and RemoteKeystore from a wallet.
//
// Both sides are untrusted by the other, so every decoder refuses bytes over kMaxKeystoreMessageSize
// (Errc::kTooLarge), truncated or garbage protobuf (kMalformed), and a batch of more than `max_items`
// (kTooLarge) counted from the bytes before anything is parsed or sized. A batch request decodes item
// by item: the batch fails only when its bytes do not parse; an item that parses but does not check
// out (a 31-byte salt, a key off the curve) is an error in its own slot, so that it fails alone, as the
// RPCs answer. Encoders write what @xmtp/proto writes for the same value (map entries sorted by
// key, where protobufjs keeps insertion order).
// Consent proofs (CreateInviteRequest.consent_proof, ConversationReference.consent_proof_payload) are
// not carried: keylink makes none, and a decoder drops them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "keylink/base/bytes.h"
#include "keylink/base/result.h"
#include "keylink/base/secret.h"
#include "keylink/wire/xmtp/ciphertext.h"
#include "keylink/wire/xmtp/keys.h"

namespace keylink::wire::xmtp::keystore_api {

inline constexpr std::size_t kMaxKeystoreMessageSize = 4 * 1024 * 1024;

// xmtp's ErrorCode: the code of an item's KeystoreError.
enum class ErrorCode : std::int32_t { kUnspecified = 0, kInvalidInput = 1, kNoMatchingPrekey = 2 };

struct KeystoreError {
  std::string message;
  ErrorCode code = ErrorCode::kUnspecified;  // an unknown code decodes as kUnspecified
};

// One slot of a batch response: the item's result or its error.
template <class T>
using Outcome = tl::expected<T, KeystoreError>;
// A decoded batch request: each item checked alone.
template <class T>
using DecodedBatch = std::vector<Result<T>>;

struct ConversationReference {
  std::string topic;
  std::string peer_address;
  std::uint64_t created_ns = 0;
  std::string conversation_id;  // InvitationV1.Context, empty when none
  std::map<std::string, std::string> metadata;
};

struct DecryptV1Item {
  Ciphertext payload;
  PublicKeyBundle peer_keys;
  Bytes header_bytes;  // a MessageHeaderV1
  bool is_sender = false;
};

struct DecryptV2Item {
  Ciphertext payload;
  Bytes header_bytes;  // a MessageHeaderV2
  std::string content_topic;
};

struct EncryptV1Item {
  PublicKeyBundle recipient;
  Bytes payload;
  Bytes header_bytes;
};

struct EncryptV2Item {
  Bytes payload;
  Bytes header_bytes;
  std::string content_topic;
};

// EncryptResponse.Response.Success; sender_hmac is empty for V1.
struct Encrypted {
  Ciphertext encrypted;
  Bytes sender_hmac;
};

struct SaveInviteItem {
  std::string content_topic;
  std::uint64_t timestamp_ns = 0;
  Bytes payload;  // a SealedInvitation
};

struct CreateInviteRequest {
  std::string conversation_id;
  std::map<std::string, std::string> metadata;
  SignedPublicKeyBundle recipient;
  std::uint64_t created_ns = 0;
};

struct CreateInviteResponse {
  ConversationReference conversation;
  Bytes payload;  // the SealedInvitation
};

// The signer is a oneof: at most one of the two is set (neither, when the request names none).
struct SignDigestRequest {
  Bytes digest;
  std::optional<bool> identity_key;
  std::optional<std::uint32_t> prekey_index;
};

enum class JobType : std::int32_t { kUnspecified = 0, kRefreshV1 = 1, kRefreshV2 = 2, kRefreshPppp = 3 };

struct SetRefreshJobRequest {
  JobType job_type = JobType::kUnspecified;
  std::int64_t last_run_ns = 0;
};

enum class KeystoreStatus : std::int32_t { kUnspecified = 0, kUninitialized = 1, kInitialized = 2 };

struct HmacKeyData {
  std::int32_t thirty_day_periods_since_epoch = 0;
  Secret<32> hmac_key;
};
using HmacKeys = std::map<std::string, std::vector<HmacKeyData>>;

// Requests (app → keystore). Batches take `max_items`.
Result<DecodedBatch<DecryptV1Item>> decode_decrypt_v1_request(ByteView bytes, std::size_t max_items);
Result<DecodedBatch<DecryptV2Item>> decode_decrypt_v2_request(ByteView bytes, std::size_t max_items);
Result<DecodedBatch<EncryptV1Item>> decode_encrypt_v1_request(ByteView bytes, std::size_t max_items);
Result<DecodedBatch<EncryptV2Item>> decode_encrypt_v2_request(ByteView bytes, std::size_t max_items);
Result<DecodedBatch<SaveInviteItem>> decode_save_invites_request(ByteView bytes, std::size_t max_items);
// SelfEncryptRequest and SelfDecryptRequest: the payloads.
Result<DecodedBatch<Bytes>> decode_self_encrypt_request(ByteView bytes, std::size_t max_items);
Result<DecodedBatch<Bytes>> decode_self_decrypt_request(ByteView bytes, std::size_t max_items);
Result<std::vector<ConversationReference>> decode_save_v1_conversations_request(ByteView bytes, std::size_t max_items);
Result<std::vector<std::string>> decode_get_conversation_hmac_keys_request(ByteView bytes, std::size_t max_items);
Result<CreateInviteRequest> decode_create_invite_request(ByteView bytes);
// CreateAuthTokenRequest: its timestamp_ns, nullopt when absent.
Result<std::optional<std::uint64_t>> decode_create_auth_token_request(ByteView bytes);
// Refuses a digest that is not 32 bytes.
Result<SignDigestRequest> decode_sign_digest_request(ByteView bytes);
// Refuses a job type xmtp does not define.
Result<JobType> decode_get_refresh_job_request(ByteView bytes);
Result<SetRefreshJobRequest> decode_set_refresh_job_request(ByteView bytes);
// GetKeystoreStatusRequest: its wallet_address.
Result<std::string> decode_get_keystore_status_request(ByteView bytes);

Bytes encode_decrypt_v1_request(std::span<const DecryptV1Item> items);
Bytes encode_decrypt_v2_request(std::span<const DecryptV2Item> items);
Bytes encode_encrypt_v1_request(std::span<const EncryptV1Item> items);
Bytes encode_encrypt_v2_request(std::span<const EncryptV2Item> items);
Bytes encode_save_invites_request(std::span<const SaveInviteItem> items);
Bytes encode_self_encrypt_request(std::span<const Bytes> payloads);
Bytes encode_self_decrypt_request(std::span<const Bytes> payloads);
Bytes encode_save_v1_conversations_request(std::span<const ConversationReference> conversations);
Bytes encode_get_conversation_hmac_keys_request(std::span<const std::string> topics);
Bytes encode_create_invite_request(const CreateInviteRequest& request);
Bytes encode_create_auth_token_request(std::optional<std::uint64_t> timestamp_ns);
Bytes encode_sign_digest_request(const SignDigestRequest& request);
Bytes encode_get_refresh_job_request(JobType job_type);
Bytes encode_set_refresh_job_request(const SetRefreshJobRequest& request);
Bytes encode_get_keystore_status_request(std::string_view wallet_address);

// Responses (keystore → app). Batches take `max_items`. A slot with neither a result nor an error
// decodes as an error slot (kUnspecified): an answer that says nothing did not succeed.
Result<std::vector<Outcome<Bytes>>> decode_decrypt_response(ByteView bytes, std::size_t max_items);
Result<std::vector<Outcome<Encrypted>>> decode_encrypt_response(ByteView bytes, std::size_t max_items);
Result<std::vector<Outcome<Bytes>>> decode_self_encrypt_response(ByteView bytes, std::size_t max_items);
Result<std::vector<Outcome<ConversationReference>>> decode_save_invites_response(ByteView bytes, std::size_t max_items);
Result<std::vector<ConversationReference>> decode_get_conversations_response(ByteView bytes, std::size_t max_items);
// Refuses a key that is not 32 bytes.
Result<HmacKeys> decode_get_conversation_hmac_keys_response(ByteView bytes, std::size_t max_items);
Result<CreateInviteResponse> decode_create_invite_response(ByteView bytes);
Result<std::string> decode_get_private_preferences_topic_identifier_response(ByteView bytes);
Result<std::int64_t> decode_get_refresh_job_response(ByteView bytes);
Result<KeystoreStatus> decode_get_keystore_status_response(ByteView bytes);
// SaveV1ConversationsResponse and SetRefreshJobResponse are empty: any message that parses.
Result<void> decode_empty_response(ByteView bytes);

Bytes encode_decrypt_response(std::span<const Outcome<Bytes>> responses);
Bytes encode_encrypt_response(std::span<const Outcome<Encrypted>> responses);
Bytes encode_self_encrypt_response(std::span<const Outcome<Bytes>> responses);
Bytes encode_save_invites_response(std::span<const Outcome<ConversationReference>> responses);
Bytes encode_get_conversations_response(std::span<const ConversationReference> conversations);
Bytes encode_get_conversation_hmac_keys_response(const HmacKeys& keys);
Bytes encode_create_invite_response(const CreateInviteResponse& response);
Bytes encode_get_private_preferences_topic_identifier_response(std::string_view identifier);
Bytes encode_get_refresh_job_response(std::int64_t last_run_ns);
Bytes encode_get_keystore_status_response(KeystoreStatus status);

}  // namespace keylink::wire::xmtp::keystore_api
