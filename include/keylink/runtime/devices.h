// This home among the devices of its account: how it becomes the first one, and how the devices are
// shown. The list is the signed installation list (sync::InstallationList); a device is a ghost when it
// shows up under the identity without being in it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "keylink/base/clock.h"
#include "keylink/base/result.h"
#include "keylink/base/rng.h"
#include "keylink/keystore/local_keystore.h"
#include "keylink/runtime/device_store.h"
#include "keylink/runtime/home.h"

namespace keylink::runtime {

// Makes this home the first device of its account when it is not a device yet: its installation keys,
// the installation list (version 1, itself, signed by the identity key) and the device-group key
// (epoch 1), in one transaction. Nothing when it is one already. REQUIRES: no transaction is open.
Result<void> enroll_first_device(Home& home, const keystore::LocalKeystore& keystore, const std::string& name,
                                 const std::string& platform, Rng& rng, const Clock& clock);

struct DeviceEntry {
  sync::Installation installation;  // a ghost's holds its id alone
  sync::InstallationClass status = sync::InstallationClass::kEnabled;
  std::string name;  // the newest name the devices agreed on (sync state), else the one it was linked with
  std::optional<std::int64_t> last_seen_ms;  // the time of its newest message on the group topic
};

// Every installation of the list, this device's first, then by linked time, then the ghosts (devices
// that signed on the group topic without being listed); nullopt when this home is not a device of an
// account yet.
Result<std::optional<std::vector<DeviceEntry>>> list_devices(Home& home);

}  // namespace keylink::runtime
