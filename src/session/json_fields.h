// Reading fields of untrusted JSON without exceptions: every accessor checks the type first.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "keylink/base/result.h"
#include "keylink/session/types.h"

namespace keylink::session::detail {

inline const Json* field(const Json& object, const char* name) {
  if (!object.is_object()) return nullptr;
  auto found = object.find(name);
  return found == object.end() ? nullptr : &*found;
}

inline std::optional<std::string> string_field(const Json& object, const char* name) {
  const Json* value = field(object, name);
  if (!value || !value->is_string()) return std::nullopt;
  return value->get<std::string>();
}

inline std::optional<std::int64_t> int_field(const Json& object, const char* name) {
  const Json* value = field(object, name);
  if (!value || !value->is_number_integer()) return std::nullopt;
  if (value->is_number_unsigned() && value->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
    return std::nullopt;
  }
  return value->get<std::int64_t>();
}

inline std::optional<bool> bool_field(const Json& object, const char* name) {
  const Json* value = field(object, name);
  if (!value || !value->is_boolean()) return std::nullopt;
  return value->get<bool>();
}

// An array of strings; absent reads as empty when `required` is false.
inline std::optional<std::vector<std::string>> strings_field(const Json& object, const char* name, bool required) {
  const Json* value = field(object, name);
  if (!value) return required ? std::nullopt : std::optional<std::vector<std::string>>(std::vector<std::string>{});
  if (!value->is_array()) return std::nullopt;
  std::vector<std::string> out;
  for (const Json& item : *value) {
    if (!item.is_string()) return std::nullopt;
    out.push_back(item.get<std::string>());
  }
  return out;
}

inline tl::unexpected<Error> invalid(std::string message) { return fail(Errc::kInvalid, std::move(message)); }

}  // namespace keylink::session::detail
