// Property (differential): parse_json accepts exactly what nlohmann::json::parse accepts within the depth
// limit (but for text after a NUL byte, which nlohmann::json ignores), to the same value; dump_json
// writes exactly what nlohmann::json::dump writes.
#include <nlohmann/json.hpp>

#include "fuzz_util.h"
#include "keylink/wire/json_text.h"

using namespace keylink::wire;
using Json = nlohmann::json;

namespace {

constexpr int kDepth = 16;

std::string reference_dump(const Json& value) { return value.dump(-1, ' ', false, Json::error_handler_t::replace); }

// Whether nlohmann::json nests `value` deeper than `depth` levels (a scalar is 0 levels).
bool deeper_than(const Json& value, int depth) {
  if (!value.is_structured()) return false;
  if (depth == 0) return true;
  for (const auto& item : value) {
    if (deeper_than(item, depth - 1)) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz_text(data, size);
  const Json reference = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto parsed = parse_json(text, kDepth);
  if (reference.is_discarded() || text.find('\0') != std::string_view::npos) {
    FUZZ_ASSERT(!parsed && !parsed.error().message.empty());
  } else if (deeper_than(reference, kDepth)) {
    FUZZ_ASSERT(!parsed);
  } else {
    FUZZ_ASSERT(parsed && *parsed == reference);
    FUZZ_ASSERT(dump_json(*parsed) == reference_dump(reference));
  }
  if (!reference.is_discarded()) FUZZ_ASSERT(dump_json(reference) == reference_dump(reference));
  // Strings as they come, invalid UTF-8 and all: the writer must escape and replace as nlohmann does.
  const Json raw = std::string(text);
  FUZZ_ASSERT(dump_json(raw) == reference_dump(raw));
  return 0;
}
