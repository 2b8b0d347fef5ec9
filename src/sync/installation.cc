#include "keylink/sync/installation.h"

#include "keylink/sync/errors.h"
#include "sync/installation_codec.h"

namespace keylink::sync {
namespace {

constexpr std::string_view kRecordLabel = "keylink-sync-installation-record-v1";

Bytes signed_bytes(const Installation& installation) {
  codec::Writer w;
  w.raw(as_bytes(kRecordLabel));
  write_installation(w, installation);
  return w.take();
}

}  // namespace

void write_installation(codec::Writer& w, const Installation& installation) {
  w.raw(installation.id);
  w.raw(installation.seal_key);
  w.str16(installation.name);
  w.str16(installation.platform);
  w.u64(static_cast<std::uint64_t>(installation.linked_at));
  w.u8(static_cast<std::uint8_t>(installation.status));
  w.u64(installation.removed_at_version);
}

Installation read_installation(codec::Reader& r) {
  Installation out;
  out.id = r.array<32>();
  out.seal_key = r.array<32>();
  out.name = r.str16(kMaxInstallationNameSize);
  out.platform = r.str16(kMaxInstallationPlatformSize);
  out.linked_at = static_cast<std::int64_t>(r.u64());
  const std::uint8_t status = r.u8();
  out.removed_at_version = r.u64();
  if (status == static_cast<std::uint8_t>(InstallationStatus::kEnabled) && out.removed_at_version == 0) {
    out.status = InstallationStatus::kEnabled;
  } else if (status == static_cast<std::uint8_t>(InstallationStatus::kRemoved) && out.removed_at_version != 0) {
    out.status = InstallationStatus::kRemoved;
  } else {
    r.fail();
  }
  return out;
}

void write_signature(codec::Writer& w, const crypto::RecoverableSignature& signature) {
  w.raw(signature.compact);
  w.u8(signature.recovery_id);
}

crypto::RecoverableSignature read_signature(codec::Reader& r) {
  crypto::RecoverableSignature out;
  out.compact = r.array<64>();
  out.recovery_id = r.u8();
  if (out.recovery_id > 3) r.fail();
  return out;
}

InstallationKeys InstallationKeys::generate(Rng& rng) {
  auto signing = crypto::Ed25519KeyPair::generate(rng);
  return InstallationKeys{std::move(signing), crypto::X25519KeyPair::generate(rng)};
}

Result<InstallationRecord> make_installation_record(const InstallationKeys& keys, std::string name,
                                                    std::string platform, std::int64_t linked_at,
                                                    const crypto::Secp256k1PrivateKey& identity_key) {
  if (name.size() > kMaxInstallationNameSize) return fail(Errc::kTooLarge, "device name longer than 64 bytes");
  if (platform.size() > kMaxInstallationPlatformSize) return fail(Errc::kTooLarge, "platform longer than 32 bytes");
  InstallationRecord record;
  record.installation = {
      keys.id(), keys.sealing.public_key, std::move(name), std::move(platform), linked_at, InstallationStatus::kEnabled,
      0};
  const Bytes message = signed_bytes(record.installation);
  record.identity_signature = identity_key.sign_recoverable(crypto::sha256(message));
  record.self_signature = keys.signing.sign(message);
  return record;
}

Result<void> verify_installation_record(const InstallationRecord& record,
                                        const crypto::Secp256k1PublicKey& identity_public_key) {
  if (record.installation.status != InstallationStatus::kEnabled)
    return fail(Errc::kMalformed, "installation record: a new installation must be enabled");
  const Bytes message = signed_bytes(record.installation);
  if (!crypto::secp256k1_verify(identity_public_key, crypto::sha256(message), record.identity_signature.compact))
    return fail(Errc::kBadSignature, "installation record: not signed by the account's identity key");
  if (!crypto::ed25519_verify(record.installation.id, message, record.self_signature))
    return fail(Errc::kBadSignature, "installation record: not signed by the installation it names");
  return {};
}

Bytes encode(const InstallationRecord& record) {
  codec::Writer w;
  write_installation(w, record.installation);
  write_signature(w, record.identity_signature);
  w.raw(record.self_signature);
  return w.take();
}

Result<InstallationRecord> decode_installation_record(ByteView bytes) {
  if (bytes.size() > kMaxInstallationRecordSize)
    return fail(Errc::kTooLarge, "installation record longer than 512 bytes");
  codec::Reader r(bytes);
  InstallationRecord record;
  record.installation = read_installation(r);
  record.identity_signature = read_signature(r);
  record.self_signature = r.array<64>();
  if (!r.at_end()) return fail(Errc::kMalformed, "installation record: truncated, trailing bytes or bad field");
  if (record.installation.status != InstallationStatus::kEnabled)
    return fail(Errc::kMalformed, "installation record: a new installation must be enabled");
  return record;
}

}  // namespace keylink::sync
