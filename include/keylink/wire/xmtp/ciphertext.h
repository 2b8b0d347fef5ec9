// message_contents.Ciphertext{aes256_gcm_hkdf_sha256{hkdf_salt, gcm_nonce, payload}}: the protobuf form
// of crypto::xmtp::Ciphertext. decode refuses a salt that is not 32 bytes, a nonce that is not 12, a
// payload shorter than the 16-byte tag, and any other (unknown) algorithm.
#pragma once

#include <cstddef>

#include "keylink/base/bytes.h"
#include "keylink/base/result.h"
#include "keylink/crypto/xmtp/ciphertext.h"

namespace keylink::wire::xmtp {

using Ciphertext = crypto::xmtp::Ciphertext;

inline constexpr std::size_t kMaxCiphertextSize = 4 * 1024 * 1024;

Result<Ciphertext> decode_ciphertext(ByteView bytes);
Bytes encode(const Ciphertext& ciphertext);

}  // namespace keylink::wire::xmtp
