#include "rpc_convert.h"

#include <utility>

#include "keylink/wire/errors.h"

namespace keylink::keystore {

kapi::ConversationReference to_wire(const identity::ConversationReference& reference) {
  return {reference.topic, reference.peer_address, reference.created_ns, reference.conversation_id, reference.metadata};
}

identity::ConversationReference to_identity(kapi::ConversationReference reference) {
  return {std::move(reference.topic), reference.created_ns, std::move(reference.peer_address),
          std::move(reference.conversation_id), std::move(reference.metadata)};
}

std::optional<identity::RefreshJob> refresh_job_of(kapi::JobType type) {
  switch (type) {
    case kapi::JobType::kRefreshV1: return identity::RefreshJob::kV1;
    case kapi::JobType::kRefreshV2: return identity::RefreshJob::kV2;
    case kapi::JobType::kRefreshPppp: return identity::RefreshJob::kPppp;
    case kapi::JobType::kUnspecified: break;
  }
  return std::nullopt;
}

kapi::JobType job_type_of(identity::RefreshJob kind) { return static_cast<kapi::JobType>(kind); }

kapi::KeystoreError to_keystore_error(const Error& error) {
  using identity::KeystoreErrc;
  const auto& code = error.code;
  auto xmtp_code = kapi::ErrorCode::kUnspecified;
  if (code == KeystoreErrc::kUnknownConversation || code == KeystoreErrc::kNotForMe ||
      code == KeystoreErrc::kNoPreKey) {
    xmtp_code = kapi::ErrorCode::kNoMatchingPrekey;
  } else if (code.category() == wire::wire_category() || code.category() == base_category() ||
             code == KeystoreErrc::kBadHeader || code == KeystoreErrc::kConflict || code == KeystoreErrc::kBadTime) {
    xmtp_code = kapi::ErrorCode::kInvalidInput;
  }
  return {error.message, xmtp_code};
}

Error from_keystore_error(const kapi::KeystoreError& error, identity::KeystoreErrc no_key) {
  switch (error.code) {
    case kapi::ErrorCode::kNoMatchingPrekey: return {make_error_code(no_key), error.message};
    case kapi::ErrorCode::kInvalidInput: return {make_error_code(wire::Errc::kMalformed), error.message};
    case kapi::ErrorCode::kUnspecified: break;
  }
  return {make_error_code(identity::KeystoreErrc::kRefused), error.message};
}

}  // namespace keylink::keystore
