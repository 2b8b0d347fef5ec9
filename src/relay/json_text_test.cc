#include "json_text.h"

#include <gtest/gtest.h>

namespace keylink::relay {
namespace {

TEST(RelayJsonText, Integers) {
  std::string out;
  append_int(out, -9223372036854775807 - 1);
  out += ',';
  append_int(out, 1795316524421000);
  EXPECT_EQ(out, "-9223372036854775808,1795316524421000");
}

}  // namespace
}  // namespace keylink::relay
