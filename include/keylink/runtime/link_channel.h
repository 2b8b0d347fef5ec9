// The pipe that carries device-linking messages between two devices (issue 16, DESIGN.md "Device
// linking"): opaque byte messages, already sealed by the `link` layer, in both directions. Two
// implementations behind one interface:
//  - RelayLinkChannel: over a keylink relay. Each side subscribes to its inbound topic and publishes to
//    the peer's; every publish is `ephemeral` (never stored by the relay, delivered to live subscribers
//    only) and `localOnly` (never leaves the relay node). The payload is the standard padded base64 of the
//    message. The channel has a relay connection of its own, authenticated with a throwaway Ed25519 key
//    made for it (so the relay cannot tie the link to the device's usual client id), and an outbox of its
//    own kept in memory: a link message, whose ciphertext comes from the account's secrets and is useless
//    once the link is over, is never written to disk (the home's durable relay_outbox is not used).
//  - LanLinkChannel: over one TCP connection on the LAN, never any relay traffic. B listens (the address
//    goes into the URI as kl-lan=host:port), A connects. Frames are a 4-byte big-endian length then the
//    message; the length is checked against the cap before anything is sized from it.
//
// Neither transport orders, de-duplicates or authenticates: the link layer does (over the relay the same
// message may come twice, and a stranger can publish to a topic; on the LAN anyone on the network can
// connect first).
//
// Threading: not thread-safe. Every method, and every callback, runs on the io_context's thread. stop()
// may be called from a callback. The destructor stops without calling back and is safe while operations
// are pending (they end on the io_context and do nothing).
#pragma once

#include <utility>  // before Boost.Asio (Boost 1.74, g++ 12, C++20)

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <system_error>

#include "keylink/base/bytes.h"
#include "keylink/base/clock.h"
#include "keylink/base/result.h"
#include "keylink/base/rng.h"
#include "keylink/relay/client.h"

namespace keylink::runtime {

// The LAN path's frame cap. Over the relay the cap is the relay's: keylink-relay takes a `message` of
// 256 KiB at most (--max-message-bytes), which is the base64 of 192 KiB.
inline constexpr std::size_t kMaxLanLinkMessage = 1 << 20;
inline constexpr std::size_t kMaxRelayLinkMessage = 192 << 10;

enum class LinkChannelErrc {
  kBadOption = 1,  // a topic that is not 64 hex characters, an address that is not IP:PORT, ...: fix the call
  kTooLarge,       // a message over max_message (to send: refused; received: dropped and counted)
  kBusy,           // the send queue is full (max_queued): send again once the peer has read
  kNotConnected,   // LAN: no peer connection is up (before on_up, after on_down, after stop())
  kPeerGone,       // LAN: the peer closed the connection, or it failed
  kTimeout,        // LAN: connect, a frame, the first frame or a write took longer than its timeout
  kRefused,        // LAN: the listener already has its peer; or the connection cannot be made
};
const std::error_category& link_channel_category() noexcept;
inline std::error_code make_error_code(LinkChannelErrc e) noexcept {
  return {static_cast<int>(e), link_channel_category()};
}

struct LinkChannelCallbacks {
  // The channel carries messages now: over the relay, connected with the inbound topic subscribed (again
  // after each reconnect); on the LAN, a peer connection is up.
  std::function<void()> on_up;
  // A message from the peer, at most max_message bytes, in the order it arrived.
  std::function<void(Bytes message)> on_message;
  // The channel carries nothing for now, and why. Over the relay: the connection was lost (the client
  // reconnects by itself and calls on_up again; relay::RelayClient's reasons). On the LAN: the peer
  // connection ended (kPeerGone, kTimeout, kTooLarge for a frame over the cap); a listener then waits
  // for the next connector, a connector is done (make a new channel to try again).
  std::function<void(const Error& why)> on_down;
  // A sent message that did not reach the relay (relay only): the relay refused it (relay::Errc::kRefused,
  // gone for good) or did not acknowledge it in max_publish_attempts connections (relay::Errc::
  // kNotAcknowledged, sent again on the next connection). Over the LAN a lost message shows as on_down.
  std::function<void(const Error& why)> on_send_failed;
};

struct LinkChannelStats {
  std::uint64_t messages_sent = 0;        // accepted by send()
  std::uint64_t messages_received = 0;    // passed to on_message
  std::uint64_t dropped_too_large = 0;    // inbound over max_message (LAN: the connection is closed too)
  std::uint64_t dropped_malformed = 0;    // relay: a payload that is not base64
  std::uint64_t refused_connections = 0;  // LAN listener: connectors turned away while it had its peer
};

class LinkChannel {
 public:
  virtual ~LinkChannel() = default;
  LinkChannel(const LinkChannel&) = delete;
  LinkChannel& operator=(const LinkChannel&) = delete;

  // Queues one message for the peer. Fails with kTooLarge over max_message, kBusy when max_queued
  // messages wait already, kNotConnected on the LAN without a peer connection or after stop(). Over the
  // relay a message sent before on_up waits for the connection; an ephemeral message reaches the peer
  // only if it is subscribed by then: the new device shows its URI once it is (JoinLink's on_ready), and a
  // handshake message lost on the way ends the link at its deadline (the machines resend only history).
  virtual Result<void> send(ByteView message) = 0;
  // Closes the connection (and the LAN listener) and cancels the timers; no callback afterwards.
  // On the LAN, frames sent before still go (each within write_timeout), then the connection closes:
  // a link's last message is not cut off by the end of the link. Idempotent; may be called from a
  // callback.
  virtual void stop() = 0;
  // Between on_up and on_down (or stop()).
  virtual bool up() const noexcept = 0;
  virtual const LinkChannelStats& stats() const noexcept = 0;

 protected:
  LinkChannel() = default;
};

struct RelayLinkOptions {
  relay::ClientOptions relay{};                    // the relay's URL (ws:// or wss://), timeouts, ...
  std::string inbound_topic{};                     // 64 lowercase hex characters: what this side reads
  // 64 lowercase hex characters: what the peer reads. Empty when this side learns it from the peer's
  // first message (set_outbound_topic() before the first send).
  std::string outbound_topic{};
  std::size_t max_message = kMaxRelayLinkMessage;  // both ways
  std::size_t max_queued = 64;                     // messages sent and not yet acknowledged by the relay
  std::int64_t ttl_seconds = 300;                  // sent along; an ephemeral message is never kept anyway
};

class RelayLinkChannel final : public LinkChannel {
 public:
  // Checks the options, makes the channel's throwaway relay key (from rng) and its in-memory outbox,
  // and starts connecting. io, rng and clock must outlive the channel.
  static Result<std::unique_ptr<RelayLinkChannel>> open(boost::asio::io_context& io, RelayLinkOptions options, Rng& rng,
                                                        const Clock& clock, LinkChannelCallbacks callbacks);
  ~RelayLinkChannel() override;

  Result<void> send(ByteView message) override;
  void stop() override;
  bool up() const noexcept override;
  const LinkChannelStats& stats() const noexcept override;

  // Where sends go from now on (the new device learns the reply topic from the first message it
  // opens). Fails with kBadOption for a topic that is not 64 hex characters or is the inbound one.
  Result<void> set_outbound_topic(const std::string& topic);
  const std::string& outbound_topic() const noexcept;

 private:
  struct Impl;
  explicit RelayLinkChannel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct LanLinkOptions {
  std::size_t max_message = kMaxLanLinkMessage;  // the frame cap, both ways
  std::size_t max_queued_bytes = 4 << 20;        // frames waiting to be written
  std::chrono::milliseconds connect_timeout{5000};
  // A frame, once its first byte came, is whole within read_timeout; and a connector accepted by a
  // listener sends its first whole frame within read_timeout (a silent squatter loses the one slot).
  std::chrono::milliseconds read_timeout{10'000};
  // No frame at all for this long ends the connection (the link waits for a person at most 5 minutes).
  std::chrono::milliseconds idle_timeout{330'000};
  // A frame being written for this long (the peer does not read) ends the connection.
  std::chrono::milliseconds write_timeout{10'000};
};

class LanLinkChannel final : public LinkChannel {
 public:
  // B: listens on `host` (an IP address: "0.0.0.0", "192.168.1.20", "::1") and `port` (0: any free
  // one); one peer connection at a time, a second connector is closed at once. Fails with kBadOption
  // for a host that is not an IP address, kRefused when the address cannot be bound.
  static Result<std::unique_ptr<LanLinkChannel>> listen(boost::asio::io_context& io, const std::string& host,
                                                        std::uint16_t port, LanLinkOptions options,
                                                        LinkChannelCallbacks callbacks);
  // A: connects to "IP:PORT" or "[IPv6]:PORT" (kl-lan's value; no name lookup). Fails at once with
  // kBadOption for an address it cannot parse; a connection that fails or takes over connect_timeout
  // ends in on_down (kRefused or kTimeout).
  static Result<std::unique_ptr<LanLinkChannel>> connect(boost::asio::io_context& io, const std::string& address,
                                                         LanLinkOptions options, LinkChannelCallbacks callbacks);
  ~LanLinkChannel() override;

  // The listener's bound address as "IP:PORT" ("[IPv6]:PORT"), for kl-lan (a listener on 0.0.0.0 or ::
  // says so: the URI needs the device's LAN address and this port); the target's for a connector.
  std::string address() const;

  Result<void> send(ByteView message) override;
  void stop() override;
  bool up() const noexcept override;
  const LinkChannelStats& stats() const noexcept override;

 private:
  struct Impl;
  explicit LanLinkChannel(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace keylink::runtime

template <>
struct std::is_error_code_enum<keylink::runtime::LinkChannelErrc> : std::true_type {};
