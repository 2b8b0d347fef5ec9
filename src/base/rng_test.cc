#include "keylink/base/rng.h"

#include <gtest/gtest.h>

namespace keylink {
namespace {

TEST(FixedRng, SameSeedSameBytes) {
  FixedRng a(7), b(7), c(8);
  EXPECT_EQ(a.bytes<32>(), b.bytes<32>());
  EXPECT_EQ(a.bytes<32>(), b.bytes<32>());
  EXPECT_NE(FixedRng(7).bytes<32>(), c.bytes<32>());
}

TEST(FixedRng, SuccessiveCallsDiffer) {
  FixedRng rng(1);
  EXPECT_NE(rng.bytes<16>(), rng.bytes<16>());
}

TEST(FixedRng, ServesPushedBytesFirst) {
  FixedRng rng(1);
  rng.push(Bytes{1, 2, 3});
  auto out = rng.bytes<5>();
  EXPECT_EQ(out[0], 1);
  EXPECT_EQ(out[1], 2);
  EXPECT_EQ(out[2], 3);
}

TEST(SystemRng, FillsWithDifferentBytes) {
  SystemRng rng;
  EXPECT_NE(rng.bytes<32>(), rng.bytes<32>());
}

}  // namespace
}  // namespace keylink
