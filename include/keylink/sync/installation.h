// An installation: one device of the account, known by its Ed25519 public key.
//
// A new device B, once it holds the account's XMTP identity key (step 4 of linking), makes its
// installation keys (an Ed25519 key that names it and signs its sync messages, an X25519 key others
// seal the device-group key to) and answers with an InstallationRecord: its installation signed by the
// identity key (so it is the account's) and by its own Ed25519 key (so nobody can claim another
// device's id). The link layer carries the record as opaque bytes (encode/decode_installation_record).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "keylink/base/bytes.h"
#include "keylink/base/result.h"
#include "keylink/crypto/ed25519.h"
#include "keylink/crypto/secp256k1.h"
#include "keylink/crypto/x25519.h"

namespace keylink::sync {

// The installation's Ed25519 public key.
using InstallationId = crypto::Ed25519PublicKey;

inline constexpr std::size_t kMaxInstallationNameSize = 64;      // bytes of UTF-8, not checked as UTF-8
inline constexpr std::size_t kMaxInstallationPlatformSize = 32;  // "linux", "android", "ios", …
inline constexpr std::size_t kMaxInstallationRecordSize = 512;

enum class InstallationStatus : std::uint8_t { kEnabled = 1, kRemoved = 2 };

struct Installation {
  InstallationId id{};
  crypto::X25519PublicKey seal_key{};  // the device-group key is sealed to it
  std::string name;                    // what the user called the device when it was linked
  std::string platform;
  std::int64_t linked_at = 0;  // unix seconds, as the linking device's clock said
  InstallationStatus status = InstallationStatus::kEnabled;
  // The list version that first marked it removed; 0 while enabled.
  std::uint64_t removed_at_version = 0;

  friend bool operator==(const Installation&, const Installation&) = default;
};

// The installation keys of this device. Move-only; the runtime stores both seeds sealed (Vault).
struct InstallationKeys {
  crypto::Ed25519KeyPair signing;
  crypto::X25519KeyPair sealing;

  static InstallationKeys generate(Rng& rng);
  const InstallationId& id() const noexcept { return signing.public_key(); }
};

struct InstallationRecord {
  Installation installation;                        // status kEnabled
  crypto::RecoverableSignature identity_signature;  // by the account's XMTP identity key
  crypto::Ed25519Signature self_signature{};        // by installation.id
};

// B's record. REQUIRES: name and platform within their limits (else Errc::kTooLarge).
Result<InstallationRecord> make_installation_record(const InstallationKeys& keys, std::string name,
                                                    std::string platform, std::int64_t linked_at,
                                                    const crypto::Secp256k1PrivateKey& identity_key);
// Checks both signatures; identity_public_key is the account's XMTP identity public key (what
// XmtpIdentity::bundle_v1().identity_key.public_key.key holds). Fails with kBadSignature.
Result<void> verify_installation_record(const InstallationRecord& record,
                                        const crypto::Secp256k1PublicKey& identity_public_key);

// The record's bytes (link layer carries them opaquely). decode is total: it checks sizes, the status
// and trailing bytes, not the signatures (verify_installation_record does).
Bytes encode(const InstallationRecord& record);
Result<InstallationRecord> decode_installation_record(ByteView bytes);

}  // namespace keylink::sync
