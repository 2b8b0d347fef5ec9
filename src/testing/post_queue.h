// Test-only: a Poster target. Other threads post functions; the test thread runs them with drain(), the
// way an event loop would run them on the owner's thread.
#pragma once

#include <deque>
#include <functional>
#include <mutex>
#include <utility>

namespace keylink::testing {

class PostQueue {
 public:
  // Thread-safe.
  void post(std::function<void()> fn) {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(fn));
  }

  // A Poster (std::function<void(std::function<void()>)>) that posts here. REQUIRES: *this outlives it.
  auto poster() {
    return [this](std::function<void()> fn) { post(std::move(fn)); };
  }

  // Runs everything posted so far, in order, on the calling thread; returns how many ran.
  int drain() {
    std::deque<std::function<void()>> ready;
    {
      std::lock_guard lock(mutex_);
      ready.swap(queue_);
    }
    for (auto& fn : ready) fn();
    return static_cast<int>(ready.size());
  }

 private:
  std::mutex mutex_;
  std::deque<std::function<void()>> queue_;
};

}  // namespace keylink::testing
