// Device linking on the runtime (DESIGN.md "Device linking"): drives the link layer's machines over a
// LinkChannel (the relay, ephemeral and localOnly, or one TCP connection on the LAN) with the home's
// stores. Two roles:
//   - AccountLink: this home has the account (device A). It reads the new device's URI, checks it
//     against the one-time code this home shows (DeviceStore::code; burnt at the first try), asks its
//     user (on_ask, answered by decide()), sends the account, appends the new device to the signed
//     installation list, stores that list, and streams the message history (a message larger than a
//     history chunk, 128 KiB, stays out: the new device reads it from the relay with its conversation).
//   - JoinLink: this home is new (device B). It shows a URI, receives the account, makes its
//     installation keys, and commits the account, its keys, the installation list and the device-group
//     key in one transaction; then stores the history as it comes.
// A link that fails before that commit (B) / before B confirmed it (A) leaves nothing on either home.
//
// Not thread-safe: everything runs on the io_context's thread; callbacks run on it, never from within
// the call that started the link.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "keylink/base/clock.h"
#include "keylink/base/result.h"
#include "keylink/base/rng.h"
#include "keylink/link/account.h"
#include "keylink/link/link_uri.h"
#include "keylink/link/options.h"
#include "keylink/relay/client.h"
#include "keylink/runtime/home.h"

namespace keylink::runtime {

struct DeviceLinkCallbacks {
  // A only: the new device's name and platform (text a remote party wrote: escape it before printing)
  // and what it offers to receive. Answer with AccountLink::decide().
  std::function<void(const link::DeviceInfo& device, link::Capabilities offered)> on_ask;
  // B only: the URI can be shown now (B listens: on the relay, its subscription is acknowledged; a
  // Hello sent before it would be lost).
  std::function<void()> on_ready;
  // The new device is a device of the account (A: it confirmed its commit; B: committed). The history
  // follows.
  std::function<void()> on_linked;
  // History chunks stored by B (B) or acknowledged by B (A), out of total.
  std::function<void(std::uint32_t done, std::uint32_t total)> on_progress;
  // The end: success once the history is complete, or why the link stopped (after on_linked: only the
  // history is incomplete).
  std::function<void(Result<void>)> on_done;
};

struct DeviceLinkOptions {
  relay::ClientOptions relay{};  // used unless the URI names a LAN address (A) / lan is set (B)
  // This device's name and platform: B sends them to A; A uses them when it enrolls itself as the
  // account's first device.
  std::string name;
  std::string platform;
  std::uint32_t messages_per_chunk = 1000;  // history
  link::LinkOptions link{};                 // the machine's deadlines and history window
  // Test seam; unset in the product. Every link message this side sends (before the channel takes it)
  // or receives (before the link machine reads it) passes through it, and the link goes on with what it
  // returns instead: nothing (dropped), the message twice (duplicated), other bytes (altered), messages
  // held back and returned later (reordered). The runtime tests play a hostile path with it and stop a
  // link at a chosen step. It runs on the io_context and must not destroy the link from within.
  enum class TapDirection { kSent, kReceived };
  std::function<std::vector<Bytes>(TapDirection, Bytes)> tap;
};

// Device A. REQUIRES: io, home, rng and clock outlive the link.
class AccountLink {
 public:
  // Fails at once (burning the code, which is stored burnt) when the URI is malformed or expired, when
  // it does not carry the code this home shows, or that code is older than 5 minutes or was used; and
  // when the home has no messaging identity.
  static Result<std::unique_ptr<AccountLink>> start(boost::asio::io_context& io, Home& home, std::string_view uri,
                                                    DeviceLinkOptions options, Rng& rng, const Clock& clock,
                                                    DeviceLinkCallbacks callbacks);
  ~AccountLink();
  // The user's answer to on_ask: nullopt for no; kFull only when offered.
  void decide(std::optional<link::AccountKind> kind);
  const link::LinkUri& uri() const;

 private:
  struct State;
  explicit AccountLink(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

// Device B. REQUIRES: io, home, rng and clock outlive the link; home has no messaging identity.
class JoinLink {
 public:
  // `code` is what A shows. With `lan` ("IP:PORT", port 0 for any), B listens there and the URI names
  // the bound address; otherwise the link goes through the relay. Fails when the home has an identity
  // already, the code is not 6 digits, or the LAN address cannot be bound.
  static Result<std::unique_ptr<JoinLink>> start(boost::asio::io_context& io, Home& home, std::string_view code,
                                                 std::optional<std::string> lan, DeviceLinkOptions options, Rng& rng,
                                                 const Clock& clock, DeviceLinkCallbacks callbacks);
  ~JoinLink();
  const link::LinkUri& uri() const;

 private:
  struct State;
  explicit JoinLink(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

}  // namespace keylink::runtime
