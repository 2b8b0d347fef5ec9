// LinkInitiator: device A, the one with the account, linking new device B.
//
// Sans-IO: events in (a relay message, the user's answer, the runtime's answers, a timer), actions out
// (actions.h). It never reads a clock or a socket; randomness comes from the Rng passed in at create().
// Not thread-safe. Not persisted: if the process stops, the link fails and starts again from a new URI.
//
// The sequence the runtime drives (→ an event it calls, ← an action it gets):
//   create(uri, code, …)           checks and burns the code; persist the burnt code at once
//   → begin()                      ← Subscribe(reply topic), Publish(Hello)
//   → on_message(DeviceInfo)       ← AskUser{device, caps}
//   → on_user_accepted(payload)    ← Publish(Account)       (or on_user_refused() ← Publish, Failed)
//   → on_message(Installed)        ← AddInstallation{record}
//   → on_installation_list(list)   ← Publish(Welcome)
//   → on_message(Committed)        ← Done: now store the new list
//   → start_history(total)         ← NeedHistoryChunk{i}…
//   → on_history_chunk(i, bytes)   ← Publish(HistoryChunk), more NeedHistoryChunk as B acknowledges
//   → on_message(HistoryAck)…      ← Progress…, finally HistoryDone and Unsubscribe
//   → on_timer(now) whenever next_deadline() passes ← Failed on timeout.
// Once Failed or HistoryDone came out, every event returns no action.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "keylink/base/bytes.h"
#include "keylink/base/clock.h"
#include "keylink/base/result.h"
#include "keylink/base/rng.h"
#include "keylink/link/account.h"
#include "keylink/link/actions.h"
#include "keylink/link/link_uri.h"
#include "keylink/link/one_time_code.h"
#include "keylink/link/options.h"

namespace keylink::link {

class LinkInitiator {
 public:
  // Burns `code` first (code.used = true, whatever follows), then refuses the URI unless it carries this
  // code, the code is fresh and unused, and the URI has not expired (errors as check_code() and
  // LinkUri::parse()). Then makes A's throwaway X25519 key and derives the channel from A's own code.
  // The Rng is used here only (for that key); it is not kept.
  static Result<LinkInitiator> create(const LinkUri& uri, OneTimeCode& code, Rng& rng, TimePoint now,
                                      LinkOptions options = {});

  Actions begin(TimePoint now);
  // A message the relay (or the LAN path) delivered on `topic`. Never fails: a message that does not
  // open is counted and ignored; one that opens but breaks the protocol ends the link with Failed.
  Actions on_message(std::string_view topic, ByteView message, TimePoint now);
  // REQUIRES: offers(caps, account.kind); account.recovery_phrase set iff kind is kFull; blobs at most
  // kMaxBlobLength. Ignored unless AskUser came out and was not answered yet.
  Actions on_user_accepted(AccountPayload account, TimePoint now);
  Actions on_user_refused(TimePoint now);
  // REQUIRES: list.size() <= kMaxBlobLength. Ignored unless AddInstallation is pending.
  Actions on_installation_list(ByteView list, TimePoint now);
  // REQUIRES: 1 <= total <= kMaxChunks (with no history, send one empty chunk). Ignored unless Done came
  // out and the history did not start.
  Actions start_history(std::uint32_t total, TimePoint now);
  // REQUIRES: index < total; bytes.size() <= kMaxChunkLength. Answers NeedHistoryChunk{index}.
  Actions on_history_chunk(std::uint32_t index, ByteView bytes, TimePoint now);
  Actions on_timer(TimePoint now);

  std::optional<TimePoint> next_deadline() const;
  // Messages on the reply topic that did not open (a stranger, a replay, or an altered message).
  std::uint32_t unopened_messages() const;
  bool finished() const;  // HistoryDone or Failed came out

  LinkInitiator(LinkInitiator&&) noexcept;
  LinkInitiator& operator=(LinkInitiator&&) noexcept;
  ~LinkInitiator();

 private:
  struct State;
  explicit LinkInitiator(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace keylink::link
