// What the bench programs do with a failure: say it on stderr and exit 1 (a benchmark has nothing to
// recover; a figure from a run that went wrong is worse than none).
#pragma once

#include <cstdlib>
#include <iostream>
#include <string>
#include <utility>

#include "keylink/base/result.h"

namespace keylink::bench {

[[noreturn]] inline void die(const std::string& why) {
  std::cerr << "keylink bench: " << why << '\n';
  std::exit(1);
}

template <class T>
T must(Result<T> result, const std::string& what) {
  if (!result) die(what + ": " + result.error().message);
  return std::move(*result);
}

inline void must(Result<void> result, const std::string& what) {
  if (!result) die(what + ": " + result.error().message);
}

}  // namespace keylink::bench
