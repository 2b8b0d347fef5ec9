// Property: a message that parses serializes to a message that parses to the same id, method or outcome.
#include "fuzz_util.h"
#include "keylink/wire/jsonrpc.h"

using namespace keylink::wire;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto message = parse_rpc_message(fuzz_text(data, size));
  if (!message) {
    FUZZ_ASSERT(!message.error().message.empty());
    return 0;
  }
  if (auto* request = std::get_if<RpcRequest>(&*message)) {
    auto again = parse_rpc_message(to_json_text(*request));
    FUZZ_ASSERT(again && std::holds_alternative<RpcRequest>(*again));
    FUZZ_ASSERT(std::get<RpcRequest>(*again).id == request->id);
    FUZZ_ASSERT(std::get<RpcRequest>(*again).method == request->method);
  } else {
    const auto& response = std::get<RpcResponse>(*message);
    auto again = parse_rpc_message(to_json_text(response));
    FUZZ_ASSERT(again && std::holds_alternative<RpcResponse>(*again));
    FUZZ_ASSERT(std::get<RpcResponse>(*again).id == response.id);
    FUZZ_ASSERT(std::get<RpcResponse>(*again).ok() == response.ok());
  }
  return 0;
}
