// The bodies of the link messages (what channel.h seals), encoded and decoded with every length checked.
// Decoders are total: any bytes give the value or an Error. Internal to the link layer.
//
// DeviceInfo:          blob name (≤ kMaxNameLength) ‖ blob platform (≤ kMaxPlatformLength)
// Account:             kind (1) ‖ blob identity ‖ blob conversation keys ‖ blob installation list
//                      ‖ blob device-group key ‖ has phrase (1) ‖ [blob recovery phrase]
// Installed, Welcome,  the bytes themselves (≤ kMaxBlobLength, ≤ kMaxChunkLength)
//   HistoryChunk:
// HistoryAck:          index (u32)
// HistoryResume:       round (u32) ‖ index (u32)
// Hello, Refused,      empty
//   Committed:
// A blob is a u32 length and that many bytes.
#pragma once

#include <cstdint>

#include "keylink/base/bytes.h"
#include "keylink/base/result.h"
#include "keylink/base/secret.h"
#include "keylink/link/account.h"

namespace keylink::link::detail {

SecretBytes encode_device_info(const DeviceInfo& device);
Result<DeviceInfo> decode_device_info(ByteView body);

SecretBytes encode_account(const AccountPayload& account);
Result<AccountPayload> decode_account(ByteView body);

Bytes encode_index(std::uint32_t index);
Result<std::uint32_t> decode_index(ByteView body);

struct ResumeRequest {
  std::uint32_t round = 0;
  std::uint32_t from = 0;
};
Bytes encode_resume(ResumeRequest request);
Result<ResumeRequest> decode_resume(ByteView body);

// Installed and Welcome carry one blob as the whole body.
Result<Bytes> decode_bounded(ByteView body, std::size_t max);
Result<void> decode_empty(ByteView body);

}  // namespace keylink::link::detail
