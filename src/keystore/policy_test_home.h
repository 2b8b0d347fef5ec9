// Test-only: a throwaway home database and vault, a manual clock and a fixed Rng, for the policy's tests.
#pragma once

#include <algorithm>
#include <cstdint>

#include "keylink/base/clock.h"
#include "keylink/base/rng.h"
#include "keylink/base/secret.h"
#include "keylink/crypto/ed25519.h"
#include "keylink/store/database.h"
#include "keylink/store/vault.h"
#include "testing/temp_dir.h"

namespace keylink::keystore::testing {

struct PolicyHome {
  PolicyHome()
      : db(store::Database::open(dir.file("home.db"), {.synchronous = store::Synchronous::kOff}).value()),
        vault(store::Vault::open(db, SecretBytes(as_bytes("pass")), rng, {1, std::size_t{8} << 20}).value()) {}
  keylink::testing::TempDir dir;
  FixedRng rng{3};
  ManualClock clock;
  store::Database db;
  store::Vault vault;
};

inline crypto::Ed25519KeyPair app_key(std::uint8_t fill) {
  Secret<32> seed;
  std::fill(seed.expose_mutable().begin(), seed.expose_mutable().end(), fill);
  return crypto::Ed25519KeyPair::from_seed(seed);
}

}  // namespace keylink::keystore::testing
