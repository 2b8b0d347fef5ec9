// Test-only: an EthAccount in a throwaway home, for the XMTP identity tests.
#pragma once

#include <cstdint>
#include <string>

#include "keylink/base/rng.h"
#include "keylink/base/secret.h"
#include "keylink/identity/eth_account.h"
#include "keylink/store/database.h"
#include "keylink/store/vault.h"
#include "testing/temp_dir.h"

namespace keylink::identity {

// The account's key is 32 bytes of `key_byte` (distinct bytes give distinct wallets).
struct TestWallet {
  explicit TestWallet(std::uint8_t key_byte)
      : rng(key_byte),
        db(store::Database::open(dir.file("home.db")).value()),
        vault(store::Vault::open(db, SecretBytes(as_bytes("pass")), rng, {1, std::size_t{8} << 20}).value()),
        account(EthAccount::import(db, vault, rng, Secret<32>(Bytes(32, key_byte))).value()) {}
  keylink::testing::TempDir dir;
  FixedRng rng;
  store::Database db;
  store::Vault vault;
  EthAccount account;
};

}  // namespace keylink::identity
