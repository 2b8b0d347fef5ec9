// What a cluster node reads from NATS (relay/cluster_codec.h): a message and a group's acks. Anything is refused
// or read; what is read writes back to the same bytes (one encoding per value).
#include "fuzz_util.h"
#include "relay/cluster_codec.h"

using namespace keylink::relay;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (auto message = cluster::decode_message(bytes)) FUZZ_ASSERT(cluster::encode_message(*message) == bytes);
  if (auto acks = cluster::decode_acks(bytes)) FUZZ_ASSERT(cluster::encode_acks(*acks) == bytes);
  return 0;
}
