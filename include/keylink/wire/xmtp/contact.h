// What an identity publishes on its contact topic: ContactBundle{v1{PublicKeyBundle} |
// v2{SignedPublicKeyBundle}}. Very old clients published a bare PublicKeyBundle; decode accepts that
// too, as xmtp-js decodeContactBundle does.
#pragma once

#include <variant>

#include "keylink/base/bytes.h"
#include "keylink/base/result.h"
#include "keylink/wire/xmtp/keys.h"

namespace keylink::wire::xmtp {

using ContactBundle = std::variant<PublicKeyBundle, SignedPublicKeyBundle>;

Result<ContactBundle> decode_contact_bundle(ByteView bytes);
// As ContactBundle{v1} or ContactBundle{v2}.
Bytes encode(const ContactBundle& bundle);

}  // namespace keylink::wire::xmtp
