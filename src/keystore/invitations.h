// V2 invitations from a private bundle's point of view: sealing one to a peer, opening one found on an
// invite topic. xmtp-js InMemoryKeystore.createInvite / saveInvites and SealedInvitation.
#pragma once

#include <string>

#include "conversation_store.h"
#include "keylink/base/result.h"
#include "keylink/base/rng.h"
#include "keylink/identity/keystore.h"
#include "keylink/wire/xmtp/private_keys.h"

namespace keylink::keystore {

// The deterministic invitation to request.recipient (its pre-key must be signed by its identity key,
// and its identity key by a wallet), sealed under the sender-side 3DH secret with the header as AAD.
Result<std::pair<identity::CreatedInvite, StoredConversation>> seal_invitation(
    const wire::xmtp::PrivateKeyBundleV2& mine, const std::string& my_address,
    const identity::CreateInviteRequest& request, Rng& rng);

// Opens an invitation that this identity sent or received. Refuses, naming the reason: a header whose
// created_ns is not the envelope's (replayed or re-dated), an invitation between other identities
// (KeystoreErrc::kNotForMe), a peer whose keys are not signed (kBadSignature), an altered header or ciphertext
// (kDecryptFailed), one dated before the keys of either party were made (kBadTime), an invitation whose
// topic is not a V2 conversation topic, and one whose topic or key is not what the two parties' keys
// derive for its conversation id (kConflict: deterministic invitations only, as xmtp-js >= 9.4 makes).
Result<StoredConversation> open_invitation(const wire::xmtp::PrivateKeyBundleV2& mine, const std::string& my_address,
                                           const identity::SaveInviteRequest& request);

}  // namespace keylink::keystore
