// What the link state machines ask of the runtime. Both machines return these from every event.
//
// The runtime performs the actions of one returned vector in order. What it must persist at each one is
// written beside it; nothing else may be persisted, so that a link that fails (Failed, a timeout, a
// killed process) leaves nothing to undo on either device.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "keylink/base/bytes.h"
#include "keylink/base/secret.h"
#include "keylink/link/account.h"

namespace keylink::link {

// Transport. Publish through the relay with ephemeral: true and localOnly: true (or send on the LAN
// path); never store the message. Subscribe before publishing what follows it in the same vector.
struct Publish {
  std::string topic;
  Bytes message;
};
struct Subscribe {
  std::string topic;
};
struct Unsubscribe {
  std::string topic;
};

// A: show B's name and platform (escaped) and the capabilities B offers; ask yes or no and, if B offers
// full, light or full (full with its own confirmation). Answer with on_user_accepted() or
// on_user_refused(). Persist nothing.
struct AskUser {
  DeviceInfo device;
  Capabilities caps = Capabilities::kLight;
};

// B: stage the account in memory (not on disk), make B's installation key (in memory) and the
// installation record signed by the identity key; answer with on_installation_record(). Persist nothing.
struct InstallAccount {
  AccountPayload account;
};

// A: build the next version of the installation list with B's record appended, signed by the identity
// key and chained to the current one; answer with on_installation_list(). Do not store or publish it
// yet: that happens at Done.
struct AddInstallation {
  Bytes record;
};

// B: in one transaction, store the staged account, B's installation key and this installation list; then
// call on_committed(). This is B's only persistent step: before it, B has nothing; after it, B is a
// device of the account. Then delete the throwaway material (the machine holds no long-lived key).
struct Commit {
  Bytes installation_list;
};

// The handshake is complete.
// A: store the list built at AddInstallation and tell the other devices (the sync layer); then start the
// history with start_history(). B: nothing to persist (Commit did it); wait for the history.
struct Done {};

// A: read history chunk `index` and pass it to on_history_chunk(). Persist nothing.
struct NeedHistoryChunk {
  std::uint32_t index = 0;
};
// B: store this chunk of history (chunks come exactly in order 0, 1, …, total - 1, each once).
struct HistoryChunkReceived {
  std::uint32_t index = 0;
  std::uint32_t total = 0;
  SecretBytes bytes;
};
// Both: for a progress bar. A counts chunks B acknowledged; B counts chunks it stored.
struct Progress {
  std::uint32_t done = 0;
  std::uint32_t total = 0;
};
// Both: the history is complete; the link is over. Unsubscribe actions come with it.
struct HistoryDone {};

// Both: the link is over and did not complete. Before Commit (B) / Done (A), drop everything staged:
// nothing was persisted. After them, the device stays linked and only the history is incomplete.
// `reason` is for a person.
struct Failed {
  std::string reason;
};

using Action = std::variant<Publish, Subscribe, Unsubscribe, AskUser, InstallAccount, AddInstallation, Commit, Done,
                            NeedHistoryChunk, HistoryChunkReceived, Progress, HistoryDone, Failed>;
using Actions = std::vector<Action>;

}  // namespace keylink::link
