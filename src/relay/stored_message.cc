#include "keylink/relay/stored_message.h"

#include "keylink/base/bytes.h"
#include "keylink/crypto/hash.h"

namespace keylink::relay {

// The topic's length first, so that ("ab", "c") and ("a", "bc") are different messages.
MessageId message_id(std::string_view topic, std::string_view message) {
  std::array<std::uint8_t, 8> length{};
  const std::uint64_t size = topic.size();
  for (std::size_t i = 0; i < length.size(); ++i) length[i] = static_cast<std::uint8_t>(size >> (56 - 8 * i));
  return crypto::sha256({length, as_bytes(topic), as_bytes(message)});
}

}  // namespace keylink::relay
