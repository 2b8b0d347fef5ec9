// LanLinkChannel over 127.0.0.1, with no relay anywhere: a listener (B) and a connector (A), and raw
// sockets playing whoever else on the LAN can reach the listener's port.
#include <gtest/gtest.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "keylink/runtime/link_channel.h"
#include "lan_frame.h"
#include "testing/link_events.h"
#include "testing/run_until.h"

namespace keylink::runtime {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using keylink::testing::bytes_of;
using keylink::testing::LinkEvents;
using keylink::testing::numbered;
using keylink::testing::run_until;
using std::chrono::milliseconds;

LanLinkOptions quick() {
  LanLinkOptions options;
  options.read_timeout = milliseconds(300);
  options.write_timeout = milliseconds(300);
  options.connect_timeout = milliseconds(2000);
  return options;
}

tcp::endpoint endpoint_of(const LanLinkChannel& listener) {
  const std::string address = listener.address();
  const auto colon = address.rfind(':');
  return {asio::ip::make_address(address.substr(0, colon)),
          static_cast<std::uint16_t>(std::stoi(address.substr(colon + 1)))};
}

// A socket on the LAN that is not keylink: connects and sends what the test says; notices when the
// listener closes it.
struct RawPeer {
  RawPeer(asio::io_context& io, const tcp::endpoint& to) : socket(io) {
    boost::system::error_code error;
    socket.connect(to, error);
    EXPECT_FALSE(error) << error.message();
    watch();
  }
  void write(const Bytes& bytes) {
    boost::system::error_code error;
    asio::write(socket, asio::buffer(bytes), error);
  }
  void watch() {
    socket.async_read_some(asio::buffer(buffer), [this](boost::system::error_code error, std::size_t) {
      if (error) {
        closed = true;
        return;
      }
      watch();
    });
  }

  tcp::socket socket;
  std::array<std::uint8_t, 4096> buffer{};
  bool closed = false;
};

struct Pair {
  explicit Pair(asio::io_context& io, LanLinkOptions options = quick()) {
    listener = LanLinkChannel::listen(io, "127.0.0.1", 0, options, b.callbacks()).value();
    connector = LanLinkChannel::connect(io, listener->address(), options, a.callbacks()).value();
    EXPECT_TRUE(run_until(io, [&] { return a.ups == 1 && b.ups == 1; }));
  }
  LinkEvents a;
  LinkEvents b;
  std::unique_ptr<LanLinkChannel> listener;
  std::unique_ptr<LanLinkChannel> connector;
};

TEST(LanLinkChannel, ListensOnAFreePortAndSaysWhere) {
  asio::io_context io;
  LinkEvents b;
  auto listener = LanLinkChannel::listen(io, "127.0.0.1", 0, quick(), b.callbacks());
  ASSERT_TRUE(listener) << listener.error().message;
  EXPECT_TRUE((*listener)->address().starts_with("127.0.0.1:"));
  EXPECT_NE(endpoint_of(**listener).port(), 0);
  EXPECT_FALSE((*listener)->up());
  auto v6 = LanLinkChannel::listen(io, "::1", 0, quick(), b.callbacks());
  if (v6) {  // where the host has IPv6
    EXPECT_TRUE((*v6)->address().starts_with("[::1]:"));
  }
}

TEST(LanLinkChannel, MessagesGoBothWaysInOrder) {
  asio::io_context io;
  Pair pair(io);
  ASSERT_TRUE(pair.listener->up());
  ASSERT_TRUE(pair.connector->up());
  constexpr int kCount = 40;
  for (int i = 0; i < kCount; ++i) {
    ASSERT_TRUE(pair.connector->send(numbered("a", i, static_cast<std::size_t>(i) * 1000)));
    ASSERT_TRUE(pair.listener->send(numbered("b", i)));
  }
  ASSERT_TRUE(pair.connector->send(numbered("a", kCount, kMaxLanLinkMessage)));  // at the cap
  ASSERT_TRUE(run_until(io, [&] { return pair.b.messages.size() == kCount + 1 && pair.a.messages.size() == kCount; }));
  for (int i = 0; i < kCount; ++i) {
    EXPECT_EQ(pair.b.messages[i], numbered("a", i, static_cast<std::size_t>(i) * 1000));
    EXPECT_EQ(pair.a.messages[i], numbered("b", i));
  }
  EXPECT_EQ(pair.b.messages.back().size(), kMaxLanLinkMessage);
  EXPECT_EQ(pair.listener->stats().messages_received, kCount + 1u);
  EXPECT_EQ(pair.connector->stats().messages_sent, kCount + 1u);
  EXPECT_TRUE(pair.a.downs.empty());
  EXPECT_TRUE(pair.b.downs.empty());
}

// A link's last message goes with the end of the link: what was sent before stop() (even by a channel
// destroyed right after) reaches the peer, and then the connection closes.
TEST(LanLinkChannel, WhatWasSentBeforeStopStillGoes) {
  asio::io_context io;
  Pair pair(io);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(pair.listener->send(numbered("last", i, 256 * 1024)));
  pair.listener->stop();
  pair.listener.reset();
  ASSERT_TRUE(run_until(io, [&] { return pair.a.messages.size() == 3 && !pair.a.downs.empty(); }));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(pair.a.messages[static_cast<std::size_t>(i)], numbered("last", i, 256 * 1024));
  EXPECT_EQ(pair.a.downs.front().code, make_error_code(LinkChannelErrc::kPeerGone));
}

TEST(LanLinkChannel, RefusesToSendOverTheCapOrWithoutAPeer) {
  asio::io_context io;
  LinkEvents b;
  auto listener = LanLinkChannel::listen(io, "127.0.0.1", 0, quick(), b.callbacks()).value();
  EXPECT_EQ(listener->send(bytes_of("early")).error().code, LinkChannelErrc::kNotConnected);
  Pair pair(io);
  EXPECT_EQ(pair.connector->send(Bytes(kMaxLanLinkMessage + 1)).error().code, LinkChannelErrc::kTooLarge);
  pair.connector->stop();
  EXPECT_EQ(pair.connector->send(bytes_of("late")).error().code, LinkChannelErrc::kNotConnected);
}

TEST(LanLinkChannel, TheSendQueueIsBounded) {
  asio::io_context io;
  LanLinkOptions options = quick();
  options.max_message = 1000;
  options.max_queued_bytes = 3 * 1004;
  Pair pair(io, options);
  // Nothing runs between the sends: the first is being written, the queue fills behind it.
  int accepted = 0;
  while (pair.connector->send(Bytes(1000, 1))) ++accepted;
  EXPECT_EQ(accepted, 3);
  EXPECT_EQ(pair.connector->send(Bytes(1000, 1)).error().code, LinkChannelErrc::kBusy);
  ASSERT_TRUE(run_until(io, [&] { return pair.b.messages.size() == 3; }));
  EXPECT_TRUE(pair.connector->send(Bytes(1000, 1)));
}

// A peer with a larger cap (or anyone) sends a frame over the listener's cap: the connection closes
// at its header, and the messages before it were delivered.
TEST(LanLinkChannel, AFrameOverTheCapClosesTheConnection) {
  asio::io_context io;
  LanLinkOptions small = quick();
  small.max_message = 1024;
  small.max_queued_bytes = 1 << 20;
  LinkEvents b;
  auto listener = LanLinkChannel::listen(io, "127.0.0.1", 0, small, b.callbacks()).value();
  LinkEvents a;
  auto connector = LanLinkChannel::connect(io, listener->address(), quick(), a.callbacks()).value();
  ASSERT_TRUE(run_until(io, [&] { return a.ups == 1; }));
  ASSERT_TRUE(connector->send(bytes_of("fits")));
  ASSERT_TRUE(connector->send(Bytes(1025, 7)));
  ASSERT_TRUE(run_until(io, [&] { return b.downs.size() == 1 && a.downs.size() == 1; }));
  EXPECT_EQ(b.messages, std::vector<Bytes>{bytes_of("fits")});
  EXPECT_EQ(b.downs[0].code, LinkChannelErrc::kTooLarge);
  EXPECT_EQ(b.downs[0].message, "LAN link: the peer sent a frame of 1025 bytes, over the limit of 1024");
  EXPECT_EQ(listener->stats().dropped_too_large, 1u);
  EXPECT_EQ(a.downs[0].code, LinkChannelErrc::kPeerGone);
  EXPECT_FALSE(connector->up());
  EXPECT_FALSE(listener->up());
}

// The attacker's frames from a raw socket: a 4 GiB length, then garbage. Each connection is closed
// at its header; the listener then takes the real peer.
TEST(LanLinkChannel, HugeLengthsAndGarbageFromARawSocketAreClosedAtTheHeader) {
  asio::io_context io;
  LinkEvents b;
  auto listener = LanLinkChannel::listen(io, "127.0.0.1", 0, quick(), b.callbacks()).value();
  const std::vector<Bytes> attacks{
      {0xff, 0xff, 0xff, 0xff, 'x'},
      {0x00, 0x10, 0x00, 0x01},  // the cap plus one
      bytes_of("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
      Bytes(64 << 10, 0xa5),
  };
  for (std::size_t i = 0; i < attacks.size(); ++i) {
    RawPeer raw(io, endpoint_of(*listener));
    raw.write(attacks[i]);
    ASSERT_TRUE(run_until(io, [&] { return raw.closed && b.downs.size() == i + 1; })) << i;
    EXPECT_EQ(b.downs[i].code, LinkChannelErrc::kTooLarge) << i;
  }
  EXPECT_EQ(listener->stats().dropped_too_large, attacks.size());
  EXPECT_TRUE(b.messages.empty());

  LinkEvents a;
  auto connector = LanLinkChannel::connect(io, listener->address(), quick(), a.callbacks()).value();
  ASSERT_TRUE(run_until(io, [&] { return a.ups == 1; }));
  ASSERT_TRUE(connector->send(bytes_of("hello")));
  ASSERT_TRUE(run_until(io, [&] { return b.messages.size() == 1; }));
}

TEST(LanLinkChannel, ASecondConnectorIsRefusedAndTheFirstKeepsItsLink) {
  asio::io_context io;
  Pair pair(io);
  RawPeer second(io, endpoint_of(*pair.listener));
  second.write(lan::encode_frame(bytes_of("let me in")));
  ASSERT_TRUE(run_until(io, [&] { return second.closed; }));
  EXPECT_EQ(pair.listener->stats().refused_connections, 1u);
  ASSERT_TRUE(pair.connector->send(bytes_of("still here")));
  ASSERT_TRUE(pair.listener->send(bytes_of("yes")));
  ASSERT_TRUE(run_until(io, [&] { return pair.b.messages.size() == 1 && pair.a.messages.size() == 1; }));
  EXPECT_EQ(pair.b.messages[0], bytes_of("still here"));
  EXPECT_TRUE(pair.b.downs.empty());
}

// A squatter that connects first and says nothing loses the slot at read_timeout; then the real
// connector gets in.
TEST(LanLinkChannel, ASilentPeerIsDroppedAtTheTimeout) {
  asio::io_context io;
  LinkEvents b;
  auto listener = LanLinkChannel::listen(io, "127.0.0.1", 0, quick(), b.callbacks()).value();
  RawPeer squatter(io, endpoint_of(*listener));
  const auto connected = std::chrono::steady_clock::now();
  ASSERT_TRUE(run_until(io, [&] { return squatter.closed; }));
  EXPECT_GE(std::chrono::steady_clock::now() - connected, milliseconds(250));
  ASSERT_EQ(b.downs.size(), 1u);
  EXPECT_EQ(b.downs[0].code, LinkChannelErrc::kTimeout);
  EXPECT_EQ(b.downs[0].message, "LAN link: the peer sent no frame after connecting within 300 ms");

  LinkEvents a;
  auto connector = LanLinkChannel::connect(io, listener->address(), quick(), a.callbacks()).value();
  ASSERT_TRUE(run_until(io, [&] { return a.ups == 1; }));
  ASSERT_TRUE(connector->send(bytes_of("mine now")));
  ASSERT_TRUE(run_until(io, [&] { return b.messages.size() == 1; }));
}

// A partial frame, and a frame trickled in a byte at a time: each is dropped read_timeout after its
// first byte, however long the trickle goes on.
TEST(LanLinkChannel, APartialOrTrickledFrameIsDroppedAtTheTimeout) {
  asio::io_context io;
  LinkEvents b;
  auto listener = LanLinkChannel::listen(io, "127.0.0.1", 0, quick(), b.callbacks()).value();
  {
    RawPeer raw(io, endpoint_of(*listener));
    Bytes partial = lan::encode_frame(Bytes(100, 1));
    partial.resize(30);
    raw.write(partial);
    ASSERT_TRUE(run_until(io, [&] { return raw.closed; }));
    ASSERT_EQ(b.downs.size(), 1u);
    EXPECT_EQ(b.downs[0].code, LinkChannelErrc::kTimeout);
  }
  {
    RawPeer raw(io, endpoint_of(*listener));
    raw.write(lan::encode_frame(bytes_of("first")));  // past the first frame: the idle timeout is long
    ASSERT_TRUE(run_until(io, [&] { return b.messages.size() == 1; }));
    const Bytes frame = lan::encode_frame(Bytes(200, 2));
    const auto started = std::chrono::steady_clock::now();
    std::size_t sent = 0;
    asio::steady_timer tick(io);
    while (!raw.closed && sent < frame.size()) {
      raw.write(Bytes{frame[sent++]});
      tick.expires_after(milliseconds(20));
      bool ticked = false;
      tick.async_wait([&](boost::system::error_code) { ticked = true; });
      ASSERT_TRUE(run_until(io, [&] { return ticked; }));
    }
    ASSERT_TRUE(run_until(io, [&] { return raw.closed; }));
    EXPECT_LT(sent, frame.size());
    EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds(2000));
    ASSERT_EQ(b.downs.size(), 2u);
    EXPECT_EQ(b.downs[1].message, "LAN link: the peer did not finish its frame within 300 ms");
    EXPECT_EQ(b.messages.size(), 1u);
  }
}

// A peer that sends but never reads: once the socket buffers are full, the write times out.
TEST(LanLinkChannel, APeerThatDoesNotReadIsDroppedAtTheWriteTimeout) {
  asio::io_context io;
  LinkEvents a;
  auto listener = LanLinkChannel::listen(io, "127.0.0.1", 0, quick(), a.callbacks()).value();
  tcp::socket deaf(io);
  deaf.connect(endpoint_of(*listener));
  asio::write(deaf, asio::buffer(lan::encode_frame(bytes_of("hi"))));
  ASSERT_TRUE(run_until(io, [&] { return a.messages.size() == 1; }));
  const Bytes big(kMaxLanLinkMessage, 3);
  ASSERT_TRUE(run_until(io, [&] {
    (void)listener->send(big);  // kBusy while the queue is full
    return !a.downs.empty();
  }));
  EXPECT_EQ(a.downs[0].code, LinkChannelErrc::kTimeout);
  EXPECT_EQ(a.downs[0].message, "LAN link: the peer did not read a frame within 300 ms");
}

TEST(LanLinkChannel, StopClosesTheListenerAndThePeerWithoutCallingBack) {
  asio::io_context io;
  Pair pair(io);
  const tcp::endpoint where = endpoint_of(*pair.listener);
  pair.listener->stop();
  pair.listener->stop();  // idempotent
  EXPECT_FALSE(pair.listener->up());
  ASSERT_TRUE(run_until(io, [&] { return pair.a.downs.size() == 1; }));
  EXPECT_EQ(pair.a.downs[0].code, LinkChannelErrc::kPeerGone);
  EXPECT_TRUE(pair.b.downs.empty());
  tcp::socket late(io);
  boost::system::error_code error;
  late.connect(where, error);
  EXPECT_EQ(error, asio::error::connection_refused);
}

TEST(LanLinkChannel, StopFromACallbackEndsEverything) {
  asio::io_context io;
  LinkEvents b;
  std::unique_ptr<LanLinkChannel> listener;
  auto callbacks = b.callbacks();
  callbacks.on_message = [&](Bytes message) {
    b.messages.push_back(std::move(message));
    listener->stop();
  };
  listener = LanLinkChannel::listen(io, "127.0.0.1", 0, quick(), callbacks).value();
  LinkEvents a;
  auto connector = LanLinkChannel::connect(io, listener->address(), quick(), a.callbacks()).value();
  ASSERT_TRUE(run_until(io, [&] { return a.ups == 1; }));
  ASSERT_TRUE(connector->send(bytes_of("one")));
  ASSERT_TRUE(connector->send(bytes_of("two")));  // likely in the same read: never delivered
  ASSERT_TRUE(run_until(io, [&] { return a.downs.size() == 1; }));
  EXPECT_EQ(b.messages, std::vector<Bytes>{bytes_of("one")});
  EXPECT_TRUE(b.downs.empty());
}

TEST(LanLinkChannel, DestroyedWithOperationsPending) {
  asio::io_context io;
  {
    Pair pair(io);
    ASSERT_TRUE(pair.connector->send(Bytes(kMaxLanLinkMessage, 1)));
    ASSERT_TRUE(pair.listener->send(Bytes(kMaxLanLinkMessage, 2)));
    LinkEvents c;
    auto connecting = LanLinkChannel::connect(io, pair.listener->address(), quick(), c.callbacks()).value();
  }  // destroyed with reads, writes, a connect and timers pending
  io.run_for(milliseconds(200));
}

TEST(LanLinkChannel, AConnectorThatCannotConnectIsDownWithTheReason) {
  asio::io_context io;
  tcp::endpoint closed_port;
  {
    LinkEvents b;
    auto listener = LanLinkChannel::listen(io, "127.0.0.1", 0, quick(), b.callbacks()).value();
    closed_port = endpoint_of(*listener);
  }
  LinkEvents a;
  auto connector =
      LanLinkChannel::connect(io, "127.0.0.1:" + std::to_string(closed_port.port()), quick(), a.callbacks()).value();
  ASSERT_TRUE(run_until(io, [&] { return a.downs.size() == 1; }));
  EXPECT_EQ(a.downs[0].code, LinkChannelErrc::kRefused);
  EXPECT_EQ(a.ups, 0);
}

TEST(LanLinkChannel, RefusesAddressesThatAreNotIpAndPort) {
  asio::io_context io;
  LinkEvents a;
  for (const std::string bad : {"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "localhost:80",
                                "::1:80", "[::1]80", "[::1", "1.2.3.4:80x", "1.2.3.4: 80"}) {
    auto connector = LanLinkChannel::connect(io, bad, quick(), a.callbacks());
    ASSERT_FALSE(connector) << bad;
    EXPECT_EQ(connector.error().code, LinkChannelErrc::kBadOption) << bad;
  }
  EXPECT_TRUE(LanLinkChannel::connect(io, "[::1]:9", quick(), a.callbacks()));
  EXPECT_EQ(LanLinkChannel::listen(io, "my-laptop", 0, quick(), a.callbacks()).error().code,
            LinkChannelErrc::kBadOption);
  LanLinkOptions no_room = quick();
  no_room.max_queued_bytes = no_room.max_message;
  EXPECT_EQ(LanLinkChannel::listen(io, "127.0.0.1", 0, no_room, a.callbacks()).error().code,
            LinkChannelErrc::kBadOption);
}

}  // namespace
}  // namespace keylink::runtime
