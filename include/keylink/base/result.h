// Errors are values: Result<T> is a T or an Error that says what went wrong and what to do about it.
//
// Each layer has one error enum and one std::error_category; its codes sort errors by what the caller
// should do (retry, ask for new input, give up). The message is for a person and names the problem.
#pragma once

#include <string>
#include <system_error>
#include <type_traits>
#include <utility>

#include <tl/expected.hpp>

namespace keylink {

struct Error {
  std::error_code code;
  std::string message;
};

template <class T>
using Result = tl::expected<T, Error>;

inline tl::unexpected<Error> fail(Error error) { return tl::unexpected<Error>(std::move(error)); }

template <class E, class = std::enable_if_t<std::is_error_code_enum_v<E>>>
tl::unexpected<Error> fail(E code, std::string message) {
  return fail(Error{make_error_code(code), std::move(message)});
}

// Prefixes the message with what was being done: "pairing URI: symKey: not hex".
inline Error context(std::string_view what, Error error) {
  error.message.insert(0, std::string(what) + ": ");
  return error;
}

// Errors of the base layer: malformed encodings and sizes.
enum class Errc { kInvalidEncoding = 1, kWrongLength, kTooLarge };
const std::error_category& base_category() noexcept;
inline std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), base_category()}; }

}  // namespace keylink

template <>
struct std::is_error_code_enum<keylink::Errc> : std::true_type {};
