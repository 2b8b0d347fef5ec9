// LinkJoiner: new device B, which shows a link URI and receives the account from device A.
//
// Sans-IO: events in, actions out (actions.h); no clock, socket or randomness of its own. Not
// thread-safe. Not persisted: if the process stops before Commit, nothing was stored and the user starts
// again with a new code; after Commit, B is linked and only the history is lost.
//
// The sequence the runtime drives (→ an event it calls, ← an action it gets):
//   create(code, caps, device, …)  makes B's throwaway key and topic; uri() is the URI to show
//   → begin()                      ← Subscribe(topic)
//   → on_message(Hello)            ← Publish(DeviceInfo)
//   → on_message(Account)          ← InstallAccount{account}   (on Refused ← Failed)
//   → on_installation_record(r)    ← Publish(Installed)
//   → on_message(Welcome)          ← Commit{list}
//   → on_committed()               ← Publish(Committed), Done
//   → on_message(HistoryChunk)…    ← HistoryChunkReceived, Progress, Publish(HistoryAck), finally
//                                    HistoryDone and Unsubscribe
//   → resume_history() after a reconnect ← Publish(HistoryResume)
//   → on_timer(now) whenever next_deadline() passes ← Failed on timeout.
// Once Failed or HistoryDone came out, every event returns no action.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "keylink/base/bytes.h"
#include "keylink/base/clock.h"
#include "keylink/base/result.h"
#include "keylink/base/rng.h"
#include "keylink/link/account.h"
#include "keylink/link/actions.h"
#include "keylink/link/link_uri.h"
#include "keylink/link/options.h"

namespace keylink::link {

class LinkJoiner {
 public:
  // `code` is what the user typed (kMalformed unless kCodeDigits digits); device.name and
  // device.platform must fit kMaxNameLength and kMaxPlatformLength (kTooLarge); lan, when given, must
  // be a LAN address (kMalformed). The URI expires kLinkUriLifetime after now.
  static Result<LinkJoiner> create(std::string_view code, Capabilities caps, DeviceInfo device, Rng& rng, TimePoint now,
                                   std::optional<std::string> lan = std::nullopt, LinkOptions options = {});

  const LinkUri& uri() const;

  Actions begin(TimePoint now);
  // Never fails: a message that does not open is counted and ignored; one that opens but breaks the
  // protocol ends the link with Failed.
  Actions on_message(std::string_view topic, ByteView message, TimePoint now);
  // REQUIRES: record.size() <= kMaxBlobLength. Ignored unless InstallAccount is pending.
  Actions on_installation_record(ByteView record, TimePoint now);
  // Ignored unless Commit is pending.
  Actions on_committed(TimePoint now);
  // After an interruption (a reconnect): asks A to resend the history from the next chunk B lacks.
  Actions resume_history(TimePoint now);
  Actions on_timer(TimePoint now);

  std::optional<TimePoint> next_deadline() const;
  std::uint32_t unopened_messages() const;
  bool finished() const;

  LinkJoiner(LinkJoiner&&) noexcept;
  LinkJoiner& operator=(LinkJoiner&&) noexcept;
  ~LinkJoiner();

 private:
  struct State;
  explicit LinkJoiner(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace keylink::link
