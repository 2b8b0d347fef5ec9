#include "keylink/sync/change.h"

#include <gtest/gtest.h>

#include "keylink/sync/errors.h"

namespace keylink::sync {
namespace {

Change stamped(Change change, std::uint64_t clock) {
  change.stamp = {clock, InstallationId{1}};
  return change;
}

TEST(SyncChangeTest, BatchRoundTrips) {
  std::vector<Change> batch = {
      stamped(changes::contact_added("0xabc"), 1), stamped(changes::consent("0xabc", Consent::kDenied), 2),
      stamped(changes::contact_name("0xabc", "Bob"), 3), stamped(changes::read_up_to("topic", 123456789), 4),
      stamped(changes::device_name(InstallationId{7}, "laptop"), 5)};
  auto decoded = decode_batch(encode_batch(batch));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, batch);
}

TEST(SyncChangeTest, ValidateRefusesOutOfRange) {
  EXPECT_TRUE(validate(changes::muted("t", true)));
  Change consent = changes::consent("0xabc", Consent::kAllowed);
  consent.number = 3;
  EXPECT_FALSE(validate(consent));
  Change kind = changes::muted("t", true);
  kind.kind = static_cast<RecordKind>(99);
  EXPECT_FALSE(validate(kind));
  Change text = changes::muted("t", true);
  text.text = "x";
  EXPECT_FALSE(validate(text));
  auto long_key = validate(changes::setting(std::string(257, 'k'), "v"));
  ASSERT_FALSE(long_key);
  EXPECT_EQ(long_key.error().code, Errc::kTooLarge);
  EXPECT_FALSE(validate(changes::setting("", "v")));
}

TEST(SyncChangeTest, DecodeRefusesUnstampedTruncatedAndTooMany) {
  Bytes unstamped = encode_batch({changes::contact_added("0xabc")});
  EXPECT_FALSE(decode_batch(unstamped));
  Bytes good = encode_batch({stamped(changes::contact_added("0xabc"), 1)});
  for (std::size_t n = 0; n < good.size(); ++n) EXPECT_FALSE(decode_batch(ByteView(good).first(n)));
  Bytes many = {0, 0, 0x04, 0x01};  // 1025 changes announced
  auto too_many = decode_batch(many);
  ASSERT_FALSE(too_many);
  EXPECT_EQ(too_many.error().code, Errc::kTooLarge);
}

}  // namespace
}  // namespace keylink::sync
