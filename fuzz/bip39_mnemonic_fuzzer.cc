// Property: whatever Mnemonic::parse accepts has a canonical phrase that parses to the same entropy, and
// that phrase is the input's words, lowercased and joined by single spaces.
#include <algorithm>
#include <cctype>
#include <sstream>
#include <string>

#include "fuzz_util.h"
#include "keylink/identity/bip39.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = fuzz_text(data, size);
  auto mnemonic = keylink::identity::Mnemonic::parse(text);
  if (!mnemonic) {
    FUZZ_ASSERT(!mnemonic.error().message.empty());
    return 0;
  }
  const keylink::SecretBytes phrase = mnemonic->phrase();
  const std::string canonical(keylink::as_chars(phrase.expose()));
  std::istringstream words{std::string(text)};
  std::string expected;
  for (std::string word; words >> word;) expected += (expected.empty() ? "" : " ") + word;
  std::transform(expected.begin(), expected.end(), expected.begin(), [](unsigned char c) { return std::tolower(c); });
  FUZZ_ASSERT(canonical == expected);
  auto again = keylink::identity::Mnemonic::parse(canonical);
  FUZZ_ASSERT(again.has_value() && *again == *mnemonic);
  return 0;
}
