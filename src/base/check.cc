#include "keylink/base/check.h"

#include <cstdio>
#include <cstdlib>

namespace keylink::detail {

void check_failed(const char* condition, const char* file, int line) noexcept {
  std::fprintf(stderr, "keylink: internal error: %s:%d: KEYLINK_CHECK(%s) failed\n", file, line, condition);
  std::abort();
}

}  // namespace keylink::detail
