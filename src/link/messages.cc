#include "messages.h"

#include "codec.h"

namespace keylink::link::detail {
namespace {

Result<SecretBytes> secret_blob(Reader& reader) {
  auto blob = reader.blob(kMaxBlobLength);
  if (!blob) return fail(blob.error());
  return SecretBytes(*blob);
}

}  // namespace

SecretBytes encode_device_info(const DeviceInfo& device) {
  KEYLINK_CHECK(device.name.size() <= kMaxNameLength && device.platform.size() <= kMaxPlatformLength);
  SecretBytes out(Writer::blob_size(device.name.size()) + Writer::blob_size(device.platform.size()));
  Writer writer(out.expose_mutable());
  writer.blob(as_bytes(device.name));
  writer.blob(as_bytes(device.platform));
  KEYLINK_CHECK(writer.full());
  return out;
}

Result<DeviceInfo> decode_device_info(ByteView body) {
  Reader reader(body);
  auto name = reader.blob(kMaxNameLength);
  if (!name) return fail(context("DeviceInfo: name", name.error()));
  auto platform = reader.blob(kMaxPlatformLength);
  if (!platform) return fail(context("DeviceInfo: platform", platform.error()));
  if (!reader.done()) return fail(Errc::kMalformed, "DeviceInfo: bytes after the last field");
  return DeviceInfo{std::string(as_chars(*name)), std::string(as_chars(*platform))};
}

SecretBytes encode_account(const AccountPayload& account) {
  KEYLINK_CHECK(account.recovery_phrase.has_value() == (account.kind == AccountKind::kFull));
  const SecretBytes* blobs[] = {&account.identity_bundle, &account.conversation_keys, &account.installation_list,
                                &account.device_group_key};
  std::size_t size = 1 + 1;
  for (const SecretBytes* blob : blobs) size += Writer::blob_size(blob->size());
  if (account.recovery_phrase) size += Writer::blob_size(account.recovery_phrase->size());
  SecretBytes out(size);
  Writer writer(out.expose_mutable());
  writer.u8(static_cast<std::uint8_t>(account.kind));
  for (const SecretBytes* blob : blobs) {
    KEYLINK_CHECK(blob->size() <= kMaxBlobLength);
    writer.blob(blob->expose());
  }
  writer.u8(account.recovery_phrase ? 1 : 0);
  if (account.recovery_phrase) {
    KEYLINK_CHECK(account.recovery_phrase->size() <= kMaxBlobLength);
    writer.blob(account.recovery_phrase->expose());
  }
  KEYLINK_CHECK(writer.full());
  return out;
}

Result<AccountPayload> decode_account(ByteView body) {
  Reader reader(body);
  AccountPayload account;
  auto kind = reader.u8();
  if (!kind || (*kind != 1 && *kind != 2)) return fail(Errc::kMalformed, "Account: unknown kind");
  account.kind = static_cast<AccountKind>(*kind);
  SecretBytes* blobs[] = {&account.identity_bundle, &account.conversation_keys, &account.installation_list,
                          &account.device_group_key};
  for (SecretBytes* blob : blobs) {
    auto read = secret_blob(reader);
    if (!read) return fail(context("Account", read.error()));
    *blob = std::move(*read);
  }
  auto has_phrase = reader.u8();
  if (!has_phrase || *has_phrase > 1 || (*has_phrase == 1) != (account.kind == AccountKind::kFull)) {
    return fail(Errc::kMalformed, "Account: a recovery phrase must come with a full account and only then");
  }
  if (*has_phrase == 1) {
    auto phrase = secret_blob(reader);
    if (!phrase) return fail(context("Account: recovery phrase", phrase.error()));
    account.recovery_phrase = std::move(*phrase);
  }
  if (!reader.done()) return fail(Errc::kMalformed, "Account: bytes after the last field");
  return account;
}

Bytes encode_index(std::uint32_t index) {
  Bytes out(4);
  Writer(out).u32(index);
  return out;
}

Result<std::uint32_t> decode_index(ByteView body) {
  if (body.size() != 4) return fail(Errc::kMalformed, "an index is 4 bytes");
  return Reader(body).u32();
}

Bytes encode_resume(ResumeRequest request) {
  Bytes out(8);
  Writer writer(out);
  writer.u32(request.round);
  writer.u32(request.from);
  return out;
}

Result<ResumeRequest> decode_resume(ByteView body) {
  if (body.size() != 8) return fail(Errc::kMalformed, "a resume request is 8 bytes");
  Reader reader(body);
  auto round = reader.u32();
  auto from = reader.u32();
  if (!round || !from) return fail(Errc::kMalformed, "a resume request is 8 bytes");
  return ResumeRequest{*round, *from};
}

Result<Bytes> decode_bounded(ByteView body, std::size_t max) {
  if (body.size() > max) return fail(Errc::kTooLarge, "the message body is over its limit");
  return Bytes(body.begin(), body.end());
}

Result<void> decode_empty(ByteView body) {
  if (!body.empty()) return fail(Errc::kMalformed, "the message should have no body");
  return {};
}

}  // namespace keylink::link::detail
