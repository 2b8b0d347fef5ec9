// Push for a backgrounded wallet: when an irn_publish with `prompt: true` finds a subscriber of its topic
// offline, the relay core hands a PushNotice to its PushSink (keylink-relay --push-webhook: the webhook,
// push_webhook.h). A notice names who and where, never what: the message stays in the mailbox.
#pragma once

#include <cstdint>
#include <string>

namespace keylink::relay {

struct PushNotice {
  std::string client_id;  // the offline subscriber's did:key
  std::string topic;
  std::int64_t tag = 0;  // the publish's WalletConnect tag: what kind of request waits
};

// What became of the notices handed over so far, for /metrics.
struct PushCounts {
  std::uint64_t sent = 0;     // answered 2xx
  std::uint64_t failed = 0;   // given up after the last attempt
  std::uint64_t dropped = 0;  // not even tried: the queue was full
};

// Not thread-safe: the relay's event loop calls it.
class PushSink {
 public:
  virtual ~PushSink() = default;
  // Takes a notice and returns at once: it never waits for the network.
  virtual void notify(PushNotice notice) = 0;
  virtual PushCounts counts() const noexcept = 0;
};

}  // namespace keylink::relay
