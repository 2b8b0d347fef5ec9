// The state the devices of an account share (DESIGN.md "Sync between linked devices"), over the relay
// connection of an XmtpNode: it reads the device-group topics and applies what they carry (changes to
// the account state, installation lists, key rotations) and publishes this device's. Messages stay on
// the relay for their ttl (not ephemeral), so a device that was offline catches up from there.
//
// What it refuses (and reports, without stopping): a message that does not open, a list not signed by
// the identity or older than the one held, changes from a device not enabled in the list (a removed
// device, or a ghost: one that signs under the group key without being listed, which is recorded and
// shown, never trusted), a rotation from a device not enabled.
//
// Not thread-safe: everything runs on the io_context's thread, as the XmtpNode's.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "keylink/base/clock.h"
#include "keylink/base/result.h"
#include "keylink/base/rng.h"
#include "keylink/runtime/device_store.h"
#include "keylink/runtime/home.h"
#include "keylink/runtime/xmtp_node.h"
#include "keylink/sync/change.h"

namespace keylink::runtime {

struct DeviceSyncReport {
  std::size_t changes = 0;           // changes that changed the account state
  std::vector<std::string> refused;  // why each refused message was refused, for the log
  bool removed = false;              // the list says this device was removed (by another)
};

class DeviceSync {
 public:
  template <class T>
  using Done = std::function<void(Result<T>)>;

  // Opens this home's device state. A home with a messaging identity that is no device yet becomes the
  // first device of its account (enroll_first_device, with `name` and `platform`). REQUIRES: home, node,
  // rng and clock outlive it.
  static Result<std::unique_ptr<DeviceSync>> open(Home& home, XmtpNode& node, const std::string& name,
                                                  const std::string& platform, Rng& rng, const Clock& clock);
  ~DeviceSync();

  // Reads what is new on every group topic this device holds a key for (and on those a rotation read
  // there adds), applies it, then publishes this device's newer list, if any, and a heartbeat when its
  // last message is older than 10 minutes (the others' "last seen"). `done` runs once, on the
  // io_context.
  void sync(Done<DeviceSyncReport> done);

  // A change of this device (a contact's name, consent, a conversation's state, a setting): applied
  // and published in one transaction.
  Result<void> change(sync::Change change);

  // Removes an enabled device: the next installation list without it and a new group key sealed to
  // each remaining device, published on the current group topic; from then on this device seals with
  // the new key. Fails for this device itself, an unknown id, or the last enabled device.
  Result<void> remove(const sync::InstallationId& id);

  const sync::SyncState& state() const noexcept;
  const sync::InstallationList& list() const noexcept;
  const sync::InstallationId& self() const noexcept;

 private:
  struct State;
  explicit DeviceSync(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace keylink::runtime
