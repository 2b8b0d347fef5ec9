// keylink-relay --push-webhook URL: each PushNotice of the relay core becomes one HTTP POST of
// {"clientId": "<did:key>", "topic": "...", "tag": N} (application/json) to URL; a 2xx answer is
// success. Never the message itself.
//
// http:// only: the relay has no TLS client of its own, so an https:// URL is refused when opened (put a
// local forwarder in front of an https endpoint). Bounded everywhere: a queue of notices (past it,
// notices are dropped and counted), a few requests at a time, each with a deadline for resolving,
// connecting, writing and reading the answer's header, and a few attempts per notice with a doubling
// pause between them. Notices still queued when the relay stops are lost.
//
// Not thread-safe: every method runs on the io_context's thread; requests and pauses run there too.
#pragma once

#include <utility>  // before Boost.Asio (Boost 1.74, g++ 12, C++20)

#include <spdlog/logger.h>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "keylink/base/result.h"
#include "keylink/relay/push.h"

namespace keylink::relay {

struct PushWebhookOptions {
  std::size_t max_queued = 1000;  // notices waiting for a request, in a pause, or in flight
  std::size_t max_in_flight = 8;  // requests open at once
  int max_attempts = 3;
  std::chrono::milliseconds first_pause{1000};  // before the second attempt; doubled before each next
  std::chrono::milliseconds request_timeout{5000};
  std::shared_ptr<spdlog::logger> log;  // failed attempts (never a client id or topic); none logs nothing
};

// The body of the POST for a notice.
std::string push_body(const PushNotice& notice);

class PushWebhook final : public PushSink {
 public:
  // Fails (Errc::kBadOption, with a message that names the URL) for anything but
  // http://HOST[:PORT][/PATH]. `io` must outlive the webhook; what is pending when it is destroyed is
  // abandoned.
  static Result<std::unique_ptr<PushWebhook>> open(boost::asio::io_context& io, std::string_view url,
                                                   PushWebhookOptions options = {});
  ~PushWebhook() override;
  PushWebhook(const PushWebhook&) = delete;
  PushWebhook& operator=(const PushWebhook&) = delete;

  void notify(PushNotice notice) override;
  PushCounts counts() const noexcept override;

  struct State;

 private:
  explicit PushWebhook(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;  // shared with the requests and pauses under way
};

}  // namespace keylink::relay
