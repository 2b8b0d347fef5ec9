#include "keylink/base/secret.h"

#include <sodium.h>

namespace keylink {

void secure_wipe(void* data, std::size_t size) noexcept {
  if (size != 0) sodium_memzero(data, size);
}

bool constant_time_equal(ByteView a, ByteView b) noexcept {
  KEYLINK_CHECK(a.size() == b.size());
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace keylink
