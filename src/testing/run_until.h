// Test-only: runs an io_context until a condition holds, bounded so that a hang fails the test instead
// of the CI job (a bound for hangs, not a timing check).
#pragma once

#include <utility>  // before Boost.Asio (Boost 1.74, g++ 12, C++20)

#include <boost/asio/io_context.hpp>
#include <chrono>

namespace keylink::testing {

// False when `done` still does not hold after `limit`.
template <class Done>
bool run_until(boost::asio::io_context& io, Done done, std::chrono::seconds limit = std::chrono::seconds(20)) {
  const auto give_up = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    if (io.stopped()) io.restart();
    io.run_one_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace keylink::testing
