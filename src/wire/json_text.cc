#include "keylink/wire/json_text.h"

#include <charconv>

#include <simdjson.h>

#include "keylink/wire/errors.h"

namespace keylink::wire {
namespace {

using Json = nlohmann::json;

void append_string(std::string& out, const std::string& text) {
  if (simdjson::validate_utf8(text.data(), text.size())) return append_json_string(out, text);
  out += Json(text).dump(-1, ' ', false, Json::error_handler_t::replace);  // its U+FFFD, its way
}

template <class Integer>
void append_integer(std::string& out, Integer value) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, end);
}

void append_value(std::string& out, const Json& value) {
  switch (value.type()) {
    case Json::value_t::object: {
      out.push_back('{');
      bool first = true;
      for (const auto& [key, item] : value.get_ref<const Json::object_t&>()) {
        if (!first) out.push_back(',');
        first = false;
        append_string(out, key);
        out.push_back(':');
        append_value(out, item);
      }
      out.push_back('}');
      return;
    }
    case Json::value_t::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& item : value.get_ref<const Json::array_t&>()) {
        if (!first) out.push_back(',');
        first = false;
        append_value(out, item);
      }
      out.push_back(']');
      return;
    }
    case Json::value_t::string: return append_string(out, value.get_ref<const std::string&>());
    case Json::value_t::number_integer: return append_integer(out, value.get<std::int64_t>());
    case Json::value_t::number_unsigned: return append_integer(out, value.get<std::uint64_t>());
    case Json::value_t::boolean: out += value.get<bool>() ? "true" : "false"; return;
    case Json::value_t::null: out += "null"; return;
    default: out += value.dump(-1, ' ', false, Json::error_handler_t::replace);  // doubles in its own format
  }
}

// Nesting depth, found without building anything: brackets outside strings.
int bracket_depth(std::string_view text) {
  int depth = 0, deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

Result<void> too_deep(int max_depth) {
  return fail(Errc::kTooLarge, "JSON nested deeper than " + std::to_string(max_depth) + " levels");
}

// simdjson's tree as nlohmann::json: a number without a minus sign is unsigned, as nlohmann::json has
// it; a key that repeats keeps its last value, as nlohmann::json keeps it.
Result<void> convert(simdjson::dom::element element, int depth, int max_depth, Json& out) {
  using Type = simdjson::dom::element_type;
  switch (element.type()) {
    case Type::OBJECT: {
      if (depth + 1 > max_depth) return too_deep(max_depth);
      out = Json::object();
      for (const auto field : simdjson::dom::object(element)) {
        auto& slot = out[std::string(field.key)];
        slot = Json();
        if (auto item = convert(field.value, depth + 1, max_depth, slot); !item) return item;
      }
      return {};
    }
    case Type::ARRAY: {
      if (depth + 1 > max_depth) return too_deep(max_depth);
      out = Json::array();
      for (const auto item : simdjson::dom::array(element)) {
        if (auto converted = convert(item, depth + 1, max_depth, out.emplace_back()); !converted) return converted;
      }
      return {};
    }
    case Type::STRING: out = std::string(std::string_view(element)); return {};
    case Type::INT64: {
      const auto number = std::int64_t(element);
      out = number < 0 ? Json(number) : Json(static_cast<std::uint64_t>(number));
      return {};
    }
    case Type::UINT64: out = std::uint64_t(element); return {};
    case Type::DOUBLE: out = double(element); return {};
    case Type::BOOL: out = bool(element); return {};
    case Type::NULL_VALUE: out = nullptr; return {};
  }
  return fail(Errc::kMalformed, "JSON value of an unknown type");
}

}  // namespace

void append_json(std::string& out, const Json& value) { append_value(out, value); }

Result<Json> parse_json(std::string_view text, int max_depth) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(text.data(), text.size()).get(root) == simdjson::SUCCESS) {
    Json out;
    if (auto converted = convert(root, 0, max_depth, out); !converted) return fail(converted.error());
    return out;
  }
  // What simdjson refuses is mostly not JSON, but not all: ask nlohmann::json, its depth bounded first.
  // nlohmann::json ends the text at a NUL byte, which JSON never has outside a string's escapes: refused.
  if (text.find('\0') != std::string_view::npos) return fail(Errc::kMalformed, "not JSON: a NUL byte");
  if (bracket_depth(text) > max_depth) return fail(too_deep(max_depth).error());
  Json out = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (out.is_discarded()) return fail(Errc::kMalformed, "not JSON (or not valid UTF-8)");
  return out;
}

}  // namespace keylink::wire
