// Private to keystore: between the keystore RPCs' wire types (wire/xmtp/keystore_api.h) and the
// Keystore's (identity/keystore.h), for KeystoreService (wallet side) and RemoteKeystore (app side).
#pragma once

#include <optional>

#include "keylink/base/result.h"
#include "keylink/identity/keystore.h"
#include "keylink/identity/keystore_errors.h"
#include "keylink/wire/xmtp/keystore_api.h"

namespace keylink::keystore {

namespace kapi = wire::xmtp::keystore_api;

kapi::ConversationReference to_wire(const identity::ConversationReference& reference);
identity::ConversationReference to_identity(kapi::ConversationReference reference);

std::optional<identity::RefreshJob> refresh_job_of(kapi::JobType type);
kapi::JobType job_type_of(identity::RefreshJob kind);

// The wallet's side: an item's error as its slot's KeystoreError. xmtp has three codes: a missing key
// (an unknown topic, a message not for this identity, no such pre-key) is NO_MATCHING_PREKEY, as
// xmtp-js answers "no topic key"; input that does not check out is INVALID_INPUT.
kapi::KeystoreError to_keystore_error(const Error& error);
// The app's side: a slot's KeystoreError as an Error with the wallet's message. NO_MATCHING_PREKEY is
// `no_key` (kUnknownConversation for a topic, kNotForMe for a V1 message or an invitation),
// INVALID_INPUT wire::Errc::kMalformed, anything else KeystoreErrc::kRefused.
Error from_keystore_error(const kapi::KeystoreError& error, identity::KeystoreErrc no_key);

}  // namespace keylink::keystore
