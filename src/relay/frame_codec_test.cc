#include "frame_codec.h"

#include <gtest/gtest.h>

#include <vector>

namespace keylink::relay {
namespace {

// A client frame: masked, as RFC 6455 requires of clients.
std::string client_frame(std::uint8_t first_byte, std::string_view payload, std::uint32_t mask = 0x37fa213d) {
  std::string out{static_cast<char>(first_byte)};
  const char m[4] = {static_cast<char>(mask >> 24), static_cast<char>(mask >> 16), static_cast<char>(mask >> 8),
                     static_cast<char>(mask)};
  if (payload.size() < 126) {
    out.push_back(static_cast<char>(0x80 | payload.size()));
  } else {
    out += {static_cast<char>(0x80 | 126), static_cast<char>(payload.size() >> 8), static_cast<char>(payload.size())};
  }
  out.append(m, 4);
  for (std::size_t i = 0; i < payload.size(); ++i) out.push_back(static_cast<char>(payload[i] ^ m[i & 3]));
  return out;
}

struct Recorder final : FrameParser::Visitor {
  void on_text(std::string_view message) override { events.push_back("text:" + std::string(message)); }
  void on_ping(std::string_view payload) override { events.push_back("ping:" + std::string(payload)); }
  void on_pong() override { events.push_back("pong"); }
  void on_close(std::uint16_t code, std::string_view reason) override {
    events.push_back("close:" + std::to_string(code) + ":" + std::string(reason));
  }
  void on_error(std::uint16_t code, std::string_view) override { events.push_back("error:" + std::to_string(code)); }
  std::vector<std::string> events;
};

std::vector<std::string> parse(std::string bytes, std::size_t max = 1024, std::size_t* used = nullptr) {
  FrameParser parser(max);
  Recorder recorder;
  const std::size_t n = parser.parse(std::span(bytes.data(), bytes.size()), recorder);
  if (used) *used = n;
  return recorder.events;
}

TEST(FrameParser, ReadsMaskedFramesOfEverySize) {
  const std::string long_text(300, 'x');
  EXPECT_EQ(parse(client_frame(0x81, "hello") + client_frame(0x81, long_text) + client_frame(0x89, "p") +
                  client_frame(0x8a, "")),
            (std::vector<std::string>{"text:hello", "text:" + long_text, "ping:p", "pong"}));
}

TEST(FrameParser, AssemblesFragmentsAroundControlFrames) {
  EXPECT_EQ(
      parse(client_frame(0x01, "he") + client_frame(0x89, "") + client_frame(0x00, "ll") + client_frame(0x80, "o")),
      (std::vector<std::string>{"ping:", "text:hello"}));
}

TEST(FrameParser, LeavesAnIncompleteFrameForLater) {
  const std::string frame = client_frame(0x81, "hello");
  std::size_t used = 99;
  EXPECT_TRUE(parse(frame.substr(0, frame.size() - 1), 1024, &used).empty());
  EXPECT_EQ(used, 0u);
}

TEST(FrameParser, SaysHowLargeAnAcceptedIncompleteFrameIs) {
  const std::string frame = client_frame(0x81, std::string(300, 'x'));
  FrameParser parser(1024);
  Recorder recorder;
  std::string bytes = frame.substr(0, 8);  // header and mask
  EXPECT_EQ(parser.parse(std::span(bytes.data(), bytes.size()), recorder), 0u);
  EXPECT_EQ(parser.next_frame_size(), frame.size());
  bytes = frame.substr(0, 7);  // the mask is not all there
  EXPECT_EQ(parser.parse(std::span(bytes.data(), bytes.size()), recorder), 0u);
  EXPECT_EQ(parser.next_frame_size(), 0u);
}

// 14 bytes that declare 2^40 bytes: refused before anything is sized from the length they declare.
TEST(FrameParser, ARefusedHeaderSizesNothing) {
  const std::string huge("\x81\xff\x00\x00\x01\x00\x00\x00\x00\x00mask", 14);
  const std::string unmasked = std::string("\x81\x7f", 2) + huge.substr(2, 8);
  const std::string reserved_bits = "\xc1" + huge.substr(1);
  for (std::string bytes : {huge, unmasked, reserved_bits}) {
    FrameParser parser(1024);
    Recorder recorder;
    EXPECT_EQ(parser.parse(std::span(bytes.data(), bytes.size()), recorder), 0u);
    EXPECT_EQ(recorder.events.size(), 1u);
    EXPECT_TRUE(parser.done());
    EXPECT_EQ(parser.next_frame_size(), 0u);
  }
}

TEST(FrameParser, CloseCarriesCodeAndReasonAndEndsParsing) {
  EXPECT_EQ(parse(client_frame(0x88, std::string("\x03\xe8", 2) + "bye") + client_frame(0x81, "late")),
            std::vector<std::string>{"close:1000:bye"});
  EXPECT_EQ(parse(client_frame(0x88, "")), std::vector<std::string>{"close:1005:"});
}

TEST(FrameParser, RefusesWhatBreaksTheProtocolWithTheRightCode) {
  EXPECT_EQ(parse("\x81\x02hi"), std::vector<std::string>{"error:1002"});             // unmasked
  EXPECT_EQ(parse(client_frame(0xc1, "x")), std::vector<std::string>{"error:1002"});  // RSV1 without extension
  EXPECT_EQ(parse(client_frame(0x83, "x")), std::vector<std::string>{"error:1002"});  // unknown opcode
  EXPECT_EQ(parse(client_frame(0x09, "x")), std::vector<std::string>{"error:1002"});  // fragmented ping
  EXPECT_EQ(parse(client_frame(0x80, "x")), std::vector<std::string>{"error:1002"});  // continuation of nothing
  EXPECT_EQ(parse(client_frame(0x01, "a") + client_frame(0x81, "b")), std::vector<std::string>{"error:1002"});
  EXPECT_EQ(parse(client_frame(0x82, "x")), std::vector<std::string>{"error:1003"});         // binary
  EXPECT_EQ(parse(client_frame(0x81, "\xc3\x28")), std::vector<std::string>{"error:1007"});  // bad UTF-8
  EXPECT_EQ(parse(client_frame(0x81, std::string(300, 'x')), 200), std::vector<std::string>{"error:1009"});
  EXPECT_EQ(parse(client_frame(0x01, std::string(150, 'x')) + client_frame(0x80, std::string(60, 'x')), 200),
            std::vector<std::string>{"error:1009"});  // too big once assembled
}

TEST(AppendFrame, UsesTheShortestLengthForm) {
  std::string out;
  append_frame(out, Opcode::kText, std::string(125, 'a'));
  EXPECT_EQ(out.size(), 2u + 125);
  out.clear();
  append_frame(out, Opcode::kText, std::string(126, 'a'));
  EXPECT_EQ(out.substr(0, 4), std::string("\x81\x7e\x00\x7e", 4));
  out.clear();
  append_frame(out, Opcode::kText, std::string(65536, 'a'));
  EXPECT_EQ(out.substr(0, 10), std::string("\x81\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10));
  out.clear();
  append_close_frame(out, 3000, std::string(200, 'r'));
  EXPECT_EQ(out.size(), 2u + 125);  // a close frame's reason is cut to fit
  EXPECT_EQ(out.substr(0, 4), std::string("\x88\x7d\x0b\xb8", 4));
}

}  // namespace
}  // namespace keylink::relay
