#include "keylink/base/secret.h"

#include <gtest/gtest.h>

#include <type_traits>

namespace keylink {
namespace {

static_assert(!std::is_copy_constructible_v<Secret<32>>);
static_assert(!std::is_copy_constructible_v<SecretBytes>);
static_assert(std::is_nothrow_move_constructible_v<Secret<32>>);

TEST(Secret, MoveWipesTheSource) {
  Secret<4> a(Bytes{1, 2, 3, 4});
  Secret<4> b(std::move(a));
  EXPECT_EQ(b.expose()[3], 4);
  for (auto byte : a.expose()) EXPECT_EQ(byte, 0);  // NOLINT(bugprone-use-after-move): checking the wipe
}

TEST(Secret, EqualityComparesContents) {
  Secret<4> a(Bytes{1, 2, 3, 4});
  EXPECT_TRUE(a == a.clone());
  EXPECT_FALSE(a == Secret<4>(Bytes{1, 2, 3, 5}));
}

TEST(SecretBytes, MoveEmptiesTheSource) {
  SecretBytes a(Bytes{9, 9});
  SecretBytes b = std::move(a);
  EXPECT_EQ(b.size(), 2u);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(b == b.clone());
  EXPECT_FALSE(b == SecretBytes(Bytes{9}));
}

TEST(SecretDeathTest, WrongSizeIsABug) { EXPECT_DEATH(Secret<4>(Bytes{1, 2, 3}), "KEYLINK_CHECK"); }

}  // namespace
}  // namespace keylink
