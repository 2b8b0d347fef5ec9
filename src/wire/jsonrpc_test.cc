#include "keylink/wire/jsonrpc.h"

#include <gtest/gtest.h>

#include "keylink/wire/errors.h"

namespace keylink::wire {
namespace {

TEST(JsonRpc, RequestKeepsANumericId) {
  auto message =
      parse_rpc_message(R"({"id":1700000000000000123,"jsonrpc":"2.0","method":"irn_publish","params":{"a":1}})");
  ASSERT_TRUE(message) << message.error().message;
  const auto& request = std::get<RpcRequest>(*message);
  EXPECT_EQ(request.id, RpcId(std::int64_t{1700000000000000123}));
  EXPECT_EQ(request.method, "irn_publish");
  EXPECT_EQ(request.params["a"], 1);
  EXPECT_EQ(to_json_text(request),
            R"({"id":1700000000000000123,"jsonrpc":"2.0","method":"irn_publish","params":{"a":1}})");
}

TEST(JsonRpc, ResponseKeepsAStringIdAsAString) {
  auto message = parse_rpc_message(R"({"id":"1700000000000000123","jsonrpc":"2.0","result":true})");
  ASSERT_TRUE(message);
  const auto& response = std::get<RpcResponse>(*message);
  ASSERT_TRUE(response.ok());
  EXPECT_FALSE(response.id->is_number());
  EXPECT_EQ(to_json_text(response), R"({"id":"1700000000000000123","jsonrpc":"2.0","result":true})");
  EXPECT_NE(RpcId("1"), RpcId(std::int64_t{1}));
}

TEST(JsonRpc, ErrorResponseRoundTrips) {
  RpcResponse response{RpcId(std::int64_t{7}), RpcError{kRpcMethodNotFound, "no such method", Json()}};
  auto parsed = parse_rpc_message(to_json_text(response));
  ASSERT_TRUE(parsed);
  const auto& error = std::get<RpcResponse>(*parsed).error();
  EXPECT_EQ(error.code, kRpcMethodNotFound);
  EXPECT_EQ(error.message, "no such method");
}

TEST(JsonRpc, NotificationHasNoId) {
  auto message = parse_rpc_message(R"({"jsonrpc":"2.0","method":"ping"})");
  ASSERT_TRUE(message);
  EXPECT_FALSE(std::get<RpcRequest>(*message).id);
  EXPECT_TRUE(std::get<RpcRequest>(*message).params.is_null());
}

TEST(JsonRpc, RefusesWhatIsNotJsonRpc) {
  const std::string_view cases[] = {
      "",
      "{",
      "[]",
      "null",
      R"({"id":1,"method":"x"})",
      R"({"id":1,"jsonrpc":"1.0","method":"x"})",
      R"({"id":1.5,"jsonrpc":"2.0","method":"x"})",
      R"({"id":true,"jsonrpc":"2.0","method":"x"})",
      R"({"id":18446744073709551615,"jsonrpc":"2.0","method":"x"})",
      R"({"id":1,"jsonrpc":"2.0","method":""})",
      R"({"id":1,"jsonrpc":"2.0","method":3})",
      R"({"id":1,"jsonrpc":"2.0","method":"x","params":"p"})",
      R"({"id":1,"jsonrpc":"2.0"})",
      R"({"id":1,"jsonrpc":"2.0","result":1,"error":{"code":1,"message":"m"}})",
      R"({"id":1,"jsonrpc":"2.0","error":{"code":"1","message":"m"}})",
      R"({"jsonrpc":"2.0","result":true})",
      "{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"\xff\"}",
  };
  for (auto text : cases) {
    auto message = parse_rpc_message(text);
    ASSERT_FALSE(message) << text;
    EXPECT_EQ(message.error().code, Errc::kMalformed) << text;
  }
}

TEST(JsonRpc, RefusesHugeAndDeepMessages) {
  EXPECT_EQ(parse_rpc_message(std::string(100, ' '), 99).error().code, Errc::kTooLarge);
  const std::string deep =
      R"({"id":1,"jsonrpc":"2.0","method":"x","params":)" + std::string(100, '[') + std::string(100, ']') + "}";
  EXPECT_EQ(parse_rpc_message(deep).error().code, Errc::kTooLarge);
  // Brackets inside strings do not count.
  EXPECT_TRUE(parse_rpc_message(R"({"id":1,"jsonrpc":"2.0","method":")" + std::string(100, '[') + "\"}"));
}

}  // namespace
}  // namespace keylink::wire
