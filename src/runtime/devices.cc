#include "keylink/runtime/devices.h"

#include <algorithm>
#include <chrono>

#include "keylink/store/errors.h"
#include "keylink/store/transaction.h"

namespace keylink::runtime {

Result<void> enroll_first_device(Home& home, const keystore::LocalKeystore& keystore, const std::string& name,
                                 const std::string& platform, Rng& rng, const Clock& clock) {
  auto txn = store::Transaction::begin(home.db());
  if (!txn) return fail(txn.error());
  auto devices = DeviceStore::open(home.db(), home.vault());
  if (!devices) return fail(devices.error());
  auto keys = devices->keys();
  if (!keys) return fail(keys.error());
  if (*keys) return {};
  auto made = sync::InstallationKeys::generate(rng);
  const std::int64_t now_s = clock.unix_millis() / 1000;
  auto record = sync::make_installation_record(made, name, platform, now_s, keystore.identity_key());
  if (!record) return fail(record.error());
  const auto list = sync::make_first_list(record->installation, keystore.identity_key());
  if (auto saved = devices->save_keys(made, rng); !saved) return fail(saved.error());
  if (auto saved = devices->save_list(list); !saved) return fail(saved.error());
  sync::GroupKeyRing ring;
  ring.add(sync::GroupKey::generate(1, rng));
  if (auto saved = devices->save_group_keys(ring, rng); !saved) return fail(saved.error());
  return txn->commit();
}

Result<std::optional<std::vector<DeviceEntry>>> list_devices(Home& home) {
  auto devices = DeviceStore::open(home.db(), home.vault());
  if (!devices) return fail(devices.error());
  auto keys = devices->keys();
  if (!keys) return fail(keys.error());
  auto list = devices->list();
  if (!list) return fail(list.error());
  if (!*keys || !*list) return std::optional<std::vector<DeviceEntry>>();
  const auto& self = (*keys)->id();
  auto state = devices->state(self);
  if (!state) return fail(state.error());
  auto seen = devices->seen();
  if (!seen) return fail(seen.error());
  std::vector<DeviceEntry> out;
  for (const auto& installation : (*list)->installations) {
    DeviceEntry entry{installation, sync::classify(**list, self, installation.id), installation.name, std::nullopt};
    if (auto agreed = state->device_name(installation.id)) entry.name = *agreed;
    if (auto found = seen->find(installation.id); found != seen->end()) entry.last_seen_ms = found->second.last_seen_ms;
    out.push_back(std::move(entry));
  }
  for (const auto& [id, record] : *seen) {
    if (!record.ghost || (*list)->find(id)) continue;
    sync::Installation ghost;
    ghost.id = id;
    out.push_back({std::move(ghost), sync::InstallationClass::kGhost, "(not in the signed list)", record.last_seen_ms});
  }
  std::stable_sort(out.begin(), out.end(), [](const DeviceEntry& a, const DeviceEntry& b) {
    auto rank = [](const DeviceEntry& e) {
      return e.status == sync::InstallationClass::kThisDevice ? 0 : e.status == sync::InstallationClass::kGhost ? 2 : 1;
    };
    if (rank(a) != rank(b)) return rank(a) < rank(b);
    return a.installation.linked_at < b.installation.linked_at;
  });
  return std::optional<std::vector<DeviceEntry>>(std::move(out));
}

}  // namespace keylink::runtime
