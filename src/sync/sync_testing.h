// Shared by the sync tests: an account (its identity key) and its devices, from a fixed Rng.
#pragma once

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "keylink/base/rng.h"
#include "keylink/crypto/secp256k1.h"
#include "keylink/sync/installation.h"
#include "keylink/sync/installation_list.h"

namespace keylink::sync::testing {

struct Device {
  InstallationKeys keys;
  InstallationRecord record;
};

class Account {
 public:
  explicit Account(std::uint64_t seed = 7) : rng(seed), identity(crypto::Secp256k1PrivateKey::generate(rng)) {}

  Device device(const std::string& name) {
    auto keys = InstallationKeys::generate(rng);
    auto record = make_installation_record(keys, name, "linux", 1'700'000'000, identity);
    EXPECT_TRUE(record);
    return Device{std::move(keys), std::move(*record)};
  }

  // A list of `devices`, the first at version 1 and each next appended.
  InstallationList list_of(const std::vector<const Device*>& devices) {
    InstallationList list = make_first_list(devices.at(0)->record.installation, identity);
    for (std::size_t i = 1; i < devices.size(); ++i) {
      auto next = append_installation(list, devices[i]->record, identity);
      EXPECT_TRUE(next);
      list = std::move(*next);
    }
    return list;
  }

  const crypto::Secp256k1PublicKey& identity_public() const { return identity.public_key(); }

  FixedRng rng;
  crypto::Secp256k1PrivateKey identity;
};

}  // namespace keylink::sync::testing
