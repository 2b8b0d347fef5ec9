// Property: whatever a peer sends, escape_for_terminal gives printable, well-formed UTF-8 with no byte a
// terminal acts on, escaping it again changes nothing, and text that is printable already stays as it is.
#include <string>

#include "fuzz_util.h"
#include "keylink/base/terminal_text.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = fuzz_text(data, size);
  const std::string escaped = keylink::escape_for_terminal(text);
  FUZZ_ASSERT(keylink::is_printable_text(escaped));
  for (const char c : escaped) FUZZ_ASSERT(static_cast<unsigned char>(c) >= 0x20 && c != 0x7F);
  FUZZ_ASSERT(keylink::escape_for_terminal(escaped) == escaped);
  if (keylink::is_printable_text(text)) FUZZ_ASSERT(escaped == text);
  return 0;
}
