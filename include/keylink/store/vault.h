// Secrets at rest: every secret keylink stores is sealed by the home's Vault.
//
// A random 32-byte data key seals each secret (ChaCha20-Poly1305, random nonce, the secret's label as
// associated data, so a sealed value moved to another row does not open). The data key itself is kept
// sealed under Argon2id(passphrase, salt) in the one-row table `vault` of the home database, with the
// salt and the Argon2id parameters it was made with:
//   vault(id = 1, version = 1, salt BLOB(16), iterations, memory_bytes, sealed_key BLOB)
// sealed_key has the format of a sealed secret (below) under the associated data "keylink-vault-v1".
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include "keylink/base/bytes.h"
#include "keylink/base/result.h"
#include "keylink/base/rng.h"
#include "keylink/base/secret.h"
#include "keylink/crypto/argon2.h"
#include "keylink/store/database.h"
#include "keylink/store/errors.h"

namespace keylink::store {

// A sealed secret: version(1) = 1 ‖ nonce(12) ‖ ciphertext ‖ tag(16).
inline constexpr std::size_t kSealedOverhead = 1 + 12 + 16;
// Bounds on the Argon2id parameters a vault row may carry; a row outside them is kCorrupt (a damaged or
// planted row must not make open() allocate gigabytes or spin for minutes).
inline constexpr std::uint64_t kMaxVaultIterations = 100;
inline constexpr std::size_t kMaxVaultMemoryBytes = std::size_t{4} << 30;

// Move-only. The const methods are thread-safe (each caller brings its own Rng).
class Vault {
 public:
  // Opens the vault of `db`. In a home without one it creates the table and the row: a new random data
  // key from `rng`, a random salt, sealed under Argon2id(passphrase, salt, params). In a home that has
  // one, the row's own salt and parameters are used and `params` is ignored: the stored ones win.
  // Runs in one IMMEDIATE transaction, or inside the caller's when db is already in one.
  // Costs one Argon2id derivation (about a second with the default parameters).
  // Fails with kWrongPassphrase when the passphrase does not open the data key, kCorrupt for a damaged
  // vault row, kIncompatible for a row from a newer keylink, a crypto error when `params` are out of
  // libsodium's bounds or cannot be allocated, or a store error.
  static Result<Vault> open(Database& db, const SecretBytes& passphrase, Rng& rng,
                            const crypto::Argon2Params& params = {});

  // Seals `secret` for the place `label` names ("keychain:<topic>", "eth-account"). The result is
  // secret.size() + kSealedOverhead bytes; it opens only with this vault and the same label.
  Bytes seal(ByteView secret, std::string_view label, Rng& rng) const;
  // Fails with kCorrupt when the bytes were not sealed by this vault under this label (tampered, moved
  // from another row, or from another home).
  Result<SecretBytes> open(ByteView sealed, std::string_view label) const;
  // As open(), and fails with kCorrupt unless the secret is exactly N bytes.
  template <std::size_t N>
  Result<Secret<N>> open_fixed(ByteView sealed, std::string_view label) const;

  // The same vault for another connection to the same database (another thread's), without the
  // passphrase's Argon2id again.
  Vault another() const { return Vault(key_.clone()); }

 private:
  explicit Vault(Secret<32> key) : key_(std::move(key)) {}
  Secret<32> key_;
};

template <std::size_t N>
Result<Secret<N>> Vault::open_fixed(ByteView sealed, std::string_view label) const {
  auto secret = open(sealed, label);
  if (!secret) return fail(std::move(secret.error()));
  if (secret->size() != N) {
    return fail(Errc::kCorrupt, "sealed secret " + std::string(label) + " holds " + std::to_string(secret->size()) +
                                    " bytes, expected " + std::to_string(N));
  }
  return Secret<N>(secret->expose());
}

}  // namespace keylink::store
