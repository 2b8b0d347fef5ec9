// XMTP V2 invitations: InvitationV1{topic, context, aes256_gcm_hkdf_sha256{key_material},
// consent_proof?} sealed (crypto::xmtp::seal with the 3DH secret, AAD = header bytes) inside
// SealedInvitation{v1{header_bytes, ciphertext}} with header SealedInvitationHeaderV1{sender, recipient,
// created_ns}. The header bytes are kept exactly as received: they are the AAD.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "keylink/base/bytes.h"
#include "keylink/base/result.h"
#include "keylink/base/secret.h"
#include "keylink/wire/xmtp/ciphertext.h"
#include "keylink/wire/xmtp/keys.h"
#include "keylink/wire/xmtp/network_envelope.h"

namespace keylink::wire::xmtp {

inline constexpr std::size_t kMaxInvitationSize = 64 * 1024;

struct ConsentProof {
  std::string signature;  // the wallet's signature, hex text
  std::uint64_t timestamp = 0;
  std::uint32_t payload_version = 0;
};

struct InvitationV1 {
  std::string topic;  // "/xmtp/0/m-…/proto"
  std::string conversation_id;
  std::map<std::string, std::string> metadata;
  Secret<32> key_material;
  std::optional<ConsentProof> consent_proof;
};

struct SealedInvitationHeaderV1 {
  SignedPublicKeyBundle sender;
  SignedPublicKeyBundle recipient;
  std::uint64_t created_ns = 0;
};

struct SealedInvitation {
  Bytes header_bytes;
  SealedInvitationHeaderV1 header;  // header_bytes, decoded
  Ciphertext ciphertext;
};

// Refuses a missing topic and key material that is not 32 bytes.
Result<InvitationV1> decode_invitation_v1(ByteView bytes);
Result<SealedInvitationHeaderV1> decode_sealed_invitation_header_v1(ByteView bytes);
Result<SealedInvitation> decode_sealed_invitation(ByteView bytes);
// The invitation an invite-topic envelope carries. Refuses one whose header created_ns differs from the
// envelope's timestamp_ns (xmtp-js SealedInvitation.fromEnvelope): a replayed or re-dated invitation.
Result<SealedInvitation> decode_sealed_invitation(const Envelope& envelope);

Bytes encode(const InvitationV1& invitation);
Bytes encode(const SealedInvitationHeaderV1& header);
// REQUIRES: invitation.header_bytes is set.
Bytes encode(const SealedInvitation& invitation);

}  // namespace keylink::wire::xmtp
