// Test-only: homes of one account's devices on the test's relay (LoopbackRelay), linked with the real
// AccountLink / JoinLink and synced with the real DeviceSync, for the runtime tests of device linking and
// sync. Everything runs on one io_context with a ManualClock; waits are bounded by run_until.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "keylink/identity/eth_account.h"
#include "keylink/keystore/local_keystore.h"
#include "keylink/link/one_time_code.h"
#include "keylink/runtime/device_link.h"
#include "keylink/runtime/device_store.h"
#include "keylink/runtime/device_sync.h"
#include "keylink/runtime/devices.h"
#include "keylink/runtime/home.h"
#include "keylink/runtime/xmtp_node.h"
#include "keylink/sync/installation_list.h"
#include "testing/loopback_relay.h"
#include "testing/run_until.h"
#include "testing/temp_dir.h"

namespace keylink::testing {

inline const crypto::Argon2Params kFastArgon2{1, std::size_t{8} << 20};

// One home. An account device (A) has a wallet and a messaging identity (its XmtpNode made it); a new
// device (B) has neither until a link commits.
struct DeviceHome {
  DeviceHome(const std::filesystem::path& dir, std::uint64_t seed)
      : rng(seed), home(runtime::Home::open(dir, SecretBytes(as_bytes("pass")), rng, kFastArgon2).value()) {}

  runtime::DeviceStore store() { return runtime::DeviceStore::open(home.db(), home.vault()).value(); }
  std::optional<sync::InstallationList> list() { return store().list().value(); }
  Bytes list_bytes() {
    auto held = list();
    return held ? sync::encode(*held) : Bytes{};
  }
  bool has_identity() { return static_cast<bool>(keystore::LocalKeystore::load(home.db(), home.vault(), rng)); }
  std::string address() {
    return keystore::LocalKeystore::load(home.db(), home.vault(), rng).value()->account_address();
  }
  crypto::Secp256k1PublicKey identity_public() {
    return keystore::LocalKeystore::load(home.db(), home.vault(), rng).value()->identity_key().public_key();
  }
  sync::InstallationId id() { return store().keys().value()->id(); }

  FixedRng rng;
  runtime::Home home;
  std::unique_ptr<runtime::XmtpNode> node;
  std::unique_ptr<runtime::DeviceSync> devices;
};

// What one side of a link reported.
struct LinkSide {
  runtime::DeviceLinkCallbacks callbacks() {
    return {.on_ask = [this](const link::DeviceInfo& device, link::Capabilities) { asked = device; },
            .on_ready = [this] { ready = true; },
            .on_linked = [this] { linked = true; },
            .on_progress = [this](std::uint32_t stored, std::uint32_t total) { progress.emplace_back(stored, total); },
            .on_done = [this](Result<void> result) { done = std::move(result); }};
  }

  std::optional<link::DeviceInfo> asked;
  bool ready = false;
  bool linked = false;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> progress;
  std::optional<Result<void>> done;
};

// A link between an account home and a new home, as the CLI drives it: B shows the URI, A reads it,
// the user says yes (light).
struct LinkRun {
  LinkSide a_side;
  LinkSide b_side;
  std::unique_ptr<runtime::JoinLink> joiner;
  std::unique_ptr<runtime::AccountLink> account;
};

class DeviceHomesTest : public ::testing::Test {
 protected:
  ~DeviceHomesTest() override {
    for (auto& run : runs) {
      run->account.reset();
      run->joiner.reset();
    }
    for (auto& device : homes) {
      device->devices.reset();
      device->node.reset();
    }
    io.run_for(std::chrono::milliseconds(10));
  }

  // A link's state, kept until the end of the test: a link that ended posts its on_done to the io_context.
  LinkRun& new_run() {
    runs.push_back(std::make_unique<LinkRun>());
    return *runs.back();
  }

  DeviceHome& new_home(std::uint64_t seed) {
    homes.push_back(std::make_unique<DeviceHome>(dir.path() / ("home" + std::to_string(seed)), seed));
    return *homes.back();
  }
  // A home with a wallet and, through its node, a messaging identity.
  DeviceHome& account_home(std::uint64_t seed, std::uint8_t wallet_byte) {
    DeviceHome& device = new_home(seed);
    EXPECT_TRUE(identity::EthAccount::import(device.home.db(), device.home.vault(), device.rng,
                                             Secret<32>(Bytes(32, wallet_byte))));
    open_node(device);
    return device;
  }
  relay::ClientOptions relay_options() const {
    relay::ClientOptions options;
    options.url = loopback.url;
    options.backoff_initial = std::chrono::milliseconds(10);
    return options;
  }
  void open_node(DeviceHome& device) {
    device.node = runtime::XmtpNode::open(io, device.home, relay_options(), device.rng, clock, {}).value();
    device.node->start();
  }
  void open_sync(DeviceHome& device, const std::string& name) {
    if (!device.node) open_node(device);
    auto opened = runtime::DeviceSync::open(device.home, *device.node, name, "test", device.rng, clock);
    ASSERT_TRUE(opened) << opened.error().message;
    device.devices = std::move(*opened);
  }

  // A fresh one-time code on A, stored as `keylink devices code` stores it.
  std::string new_code(DeviceHome& a) {
    EXPECT_TRUE(runtime::enroll_first_device(
        a.home, *keystore::LocalKeystore::load(a.home.db(), a.home.vault(), a.rng).value(), "A", "test", a.rng, clock));
    const auto code = link::OneTimeCode::generate(a.rng, clock.now());
    EXPECT_TRUE(a.store().save_code(code, a.rng));
    return std::string(code.text());
  }

  runtime::DeviceLinkOptions link_options(const std::string& name) const {
    runtime::DeviceLinkOptions options;
    options.relay = relay_options();
    options.name = name;
    options.platform = "test";
    return options;
  }

  // B starts (and, over the relay, is subscribed: an ephemeral Hello reaches only a live subscriber).
  void start_joiner(LinkRun& run, DeviceHome& b, const std::string& code, std::optional<std::string> lan = {},
                    runtime::DeviceLinkOptions options = {}) {
    if (options.name.empty()) options = link_options("B");
    const auto subscribed = loopback.core->metrics().subscriptions;
    auto joiner =
        runtime::JoinLink::start(io, b.home, code, lan, std::move(options), b.rng, clock, run.b_side.callbacks());
    ASSERT_TRUE(joiner) << joiner.error().message;
    run.joiner = std::move(*joiner);
    if (!lan) {
      ASSERT_TRUE(run_until(io, [&] { return loopback.core->metrics().subscriptions > subscribed; }));
    }
  }
  // A reads B's URI; the user says yes (light) as soon as asked, unless `answer` is false.
  void start_account(LinkRun& run, DeviceHome& a, runtime::DeviceLinkOptions options = {}, bool answer = true) {
    if (options.name.empty()) options = link_options("A");
    auto callbacks = run.a_side.callbacks();
    if (answer) {
      callbacks.on_ask = [&run](const link::DeviceInfo& device, link::Capabilities) {
        run.a_side.asked = device;
        run.account->decide(link::AccountKind::kLight);
      };
    }
    auto account = runtime::AccountLink::start(io, a.home, run.joiner->uri().to_string(), std::move(options), a.rng,
                                               clock, callbacks);
    ASSERT_TRUE(account) << account.error().message;
    run.account = std::move(*account);
  }
  bool both_done(LinkRun& run) {
    return run_until(io, [&] { return run.a_side.done.has_value() && run.b_side.done.has_value(); });
  }
  // A whole link, A → B, with a new code; both sides must end well.
  void link_devices(DeviceHome& a, DeviceHome& b, const std::string& b_name, std::optional<std::string> lan = {}) {
    const auto subscriptions_before = loopback.core->metrics().subscriptions;
    LinkRun& run = new_run();
    ASSERT_NO_FATAL_FAILURE(start_joiner(run, b, new_code(a), lan, link_options(b_name)));
    ASSERT_NO_FATAL_FAILURE(start_account(run, a));
    ASSERT_TRUE(both_done(run));
    ASSERT_TRUE(*run.a_side.done) << run.a_side.done->error().message;
    ASSERT_TRUE(*run.b_side.done) << run.b_side.done->error().message;
    // Until the relay has let the link's channels go: the next start_joiner counts subscriptions.
    ASSERT_TRUE(run_until(io, [&] { return loopback.core->metrics().subscriptions == subscriptions_before; }));
  }

  // Runs one DeviceSync::sync of `device` to its end; time moves on 1 ms so that what follows is newer.
  runtime::DeviceSyncReport sync(DeviceHome& device) {
    clock.advance(std::chrono::milliseconds(1));
    std::optional<Result<runtime::DeviceSyncReport>> report;
    device.devices->sync([&](Result<runtime::DeviceSyncReport> r) { report = std::move(r); });
    EXPECT_TRUE(run_until(io, [&] { return report.has_value(); }));
    if (!report) return {};
    EXPECT_TRUE(*report) << report->error().message;
    sent(device);
    clock.advance(std::chrono::milliseconds(1));
    return report->value_or(runtime::DeviceSyncReport{});
  }
  // Until every message the node queued reached the relay.
  void sent(DeviceHome& device) {
    bool done = false;
    device.node->when_sent([&] { done = true; });
    EXPECT_TRUE(run_until(io, [&] { return done; }));
  }

  TempDir dir;
  ManualClock clock;
  boost::asio::io_context io;
  LoopbackRelay loopback{io, clock};
  std::vector<std::unique_ptr<DeviceHome>> homes;
  std::vector<std::unique_ptr<LinkRun>> runs;
};

}  // namespace keylink::testing
