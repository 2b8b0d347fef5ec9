#include "lan_frame.h"

#include <gtest/gtest.h>

#include "keylink/runtime/link_channel.h"

namespace keylink::runtime::lan {
namespace {

Bytes bytes_of(std::string_view text) { return Bytes(text.begin(), text.end()); }

TEST(LanFrame, EncodesTheLengthBigEndianThenTheMessage) {
  EXPECT_EQ(encode_frame(bytes_of("abc")), (Bytes{0, 0, 0, 3, 'a', 'b', 'c'}));
  EXPECT_EQ(encode_frame({}), (Bytes{0, 0, 0, 0}));
  const Bytes big(0x010203, 7);
  const Bytes frame = encode_frame(big);
  EXPECT_EQ(Bytes(frame.begin(), frame.begin() + 4), (Bytes{0, 1, 2, 3}));
}

// Whatever the cuts of the stream, the same messages come out, in order.
TEST(LanFrame, DecodesFramesCutAnywhere) {
  const std::vector<Bytes> messages{bytes_of("first"), {}, Bytes(300, 9), bytes_of("last")};
  Bytes stream;
  for (const Bytes& m : messages) {
    const Bytes frame = encode_frame(m);
    stream.insert(stream.end(), frame.begin(), frame.end());
  }
  for (std::size_t chunk = 1; chunk <= stream.size(); ++chunk) {
    FrameDecoder decoder(1024);
    std::vector<Bytes> out;
    for (std::size_t at = 0; at < stream.size(); at += chunk) {
      const std::size_t n = std::min(chunk, stream.size() - at);
      ASSERT_TRUE(decoder.feed(ByteView(stream).subspan(at, n), out));
    }
    EXPECT_EQ(out, messages) << "chunk " << chunk;
    EXPECT_FALSE(decoder.mid_frame());
  }
}

TEST(LanFrame, MidFrameFromTheFirstHeaderByteToTheLastMessageByte) {
  FrameDecoder decoder(16);
  std::vector<Bytes> out;
  ASSERT_TRUE(decoder.feed(Bytes{0}, out));
  EXPECT_TRUE(decoder.mid_frame());
  ASSERT_TRUE(decoder.feed(Bytes{0, 0, 2, 'x'}, out));
  EXPECT_TRUE(decoder.mid_frame());
  ASSERT_TRUE(decoder.feed(Bytes{'y'}, out));
  EXPECT_FALSE(decoder.mid_frame());
  EXPECT_EQ(out, std::vector<Bytes>{bytes_of("xy")});
}

TEST(LanFrame, AFrameAtTheCapPassesOneOverIsRefusedByItsHeader) {
  FrameDecoder decoder(8);
  std::vector<Bytes> out;
  ASSERT_TRUE(decoder.feed(encode_frame(Bytes(8, 1)), out));
  ASSERT_EQ(out.size(), 1u);
  auto refused = decoder.feed(Bytes{0, 0, 0, 9}, out);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, LinkChannelErrc::kTooLarge);
  EXPECT_EQ(refused.error().message, "LAN link: the peer sent a frame of 9 bytes, over the limit of 8");
  EXPECT_TRUE(decoder.failed());
  EXPECT_FALSE(decoder.feed(Bytes(9, 1), out));  // failed for good
  EXPECT_EQ(out.size(), 1u);
}

// The attacker's header: 4 GiB announced. Refused from its 4 bytes, nothing sized from it.
TEST(LanFrame, AHugeLengthAllocatesNothing) {
  FrameDecoder decoder(kMaxLanLinkMessage);
  std::vector<Bytes> out;
  EXPECT_FALSE(decoder.feed(Bytes{0xff, 0xff, 0xff, 0xff, 1, 2, 3}, out));
  EXPECT_EQ(decoder.held_bytes(), 0u);
  EXPECT_TRUE(out.empty());
}

// A header at the cap and a few bytes: what is held grows with what came, not with what was announced.
TEST(LanFrame, MemoryFollowsTheBytesReceivedNotTheLengthAnnounced) {
  FrameDecoder decoder(kMaxLanLinkMessage);
  std::vector<Bytes> out;
  const auto cap = static_cast<std::uint32_t>(kMaxLanLinkMessage);
  ASSERT_TRUE(decoder.feed(Bytes{static_cast<std::uint8_t>(cap >> 24), static_cast<std::uint8_t>(cap >> 16),
                                 static_cast<std::uint8_t>(cap >> 8), static_cast<std::uint8_t>(cap), 7},
                           out));
  EXPECT_LT(decoder.held_bytes(), 1024u);
  EXPECT_TRUE(decoder.mid_frame());
}

}  // namespace
}  // namespace keylink::runtime::lan
