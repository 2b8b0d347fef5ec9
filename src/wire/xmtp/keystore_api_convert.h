// Private to wire/xmtp: what the keystore_api request and response codecs share.
#pragma once

#include <string>
#include <string_view>

#include "convert.h"
#include "keylink/wire/xmtp/keystore_api.h"
#include "xmtp/keystore_api/v1/keystore.pb.h"
#include "xmtp/message_contents/conversation_reference.pb.h"

namespace keylink::wire::xmtp::keystore_api {

namespace kpb = ::xmtp::keystore_api::v1;
using wire::xmtp::from_proto;
using wire::xmtp::to_proto;

// Size, then the count of field 1 (the batch's items) read from the tags alone, then the parse: a
// batch over max_items is refused before any of it is parsed or allocated.
Result<void> check_batch(ByteView bytes, std::string_view name, std::size_t max_items);

template <class Proto>
Result<Proto> parse_batch(ByteView bytes, std::string_view name, std::size_t max_items) {
  if (auto checked = check_batch(bytes, name, max_items); !checked) return fail(checked.error());
  return parse_message<Proto>(bytes, name, kMaxKeystoreMessageSize);
}

// Item i's error, with its index: "DecryptV2Request.requests[3]: Ciphertext.gcm_nonce: ...".
inline Error item_error(std::string_view name, std::size_t index, Error error) {
  return context(std::string(name) + "[" + std::to_string(index) + "]", std::move(error));
}

ConversationReference from_proto(const pb::ConversationReference& proto);
void to_proto(const ConversationReference& value, pb::ConversationReference& proto);

}  // namespace keylink::wire::xmtp::keystore_api
