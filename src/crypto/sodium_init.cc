#include "crypto/sodium_init.h"

#include <sodium.h>

#include "keylink/base/check.h"

namespace keylink::crypto::detail {

void ensure_sodium() {
  // sodium_init() returns 1 when already initialized, -1 only when it cannot run at all.
  static const int status = sodium_init();
  KEYLINK_CHECK(status >= 0);
}

}  // namespace keylink::crypto::detail
