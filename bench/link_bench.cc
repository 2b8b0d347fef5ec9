// The two figures of issue 16 (docs/benchmarks.md, "Device linking"): a whole link on loopback, URI read
// → B synced, and the history transfer beside the bound of its unavoidable work. bench/run-link-bench
// starts the keylink-relay process and runs this.
//
//   link_bench [--relay ws://127.0.0.1:PORT --relay-pid PID] [--lan] --dir DIR [--runs 5]
//              [--contacts 1000] [--conversations 100] [--messages 1000] [--history 100000] [--size-min 100
//              --size-max 200] [--chunk-bytes 131072]
//
// Both devices run in this process on one io_context: AccountLink (A) and JoinLink (B), the user's "yes"
// given in on_ask. Homes are real SQLite homes in DIR, opened with light Argon2 parameters (t=1, 8 MiB):
// the passphrase is not what is measured. A's home is made once (a template) and copied for each run,
// so every run links a fresh B to the same A.
//
// What A's home holds (what a person with 1,000 contacts and 100 conversations has on a device):
//   - contacts: for each, the contact's verified V2 bundle (MessageStore::put_contact; a real XMTP
//     identity of its own wallet) and a consent record (MessageStore::set_consent, allowed);
//   - conversations: V2 conversations with the first N contacts (LocalKeystore::create_invite: the
//     invitation and its key, in the keystore), which the link's LinkedAccount carries;
//   - messages: text messages (EncodedContent, sizes spread over [size-min, size-max] bytes of text)
//     spread round-robin over the conversations, from A or the peer, in A's message cache.
//
// Output: markdown tables on stdout (one per figure), one line per run on stderr.
#include <utility>  // before Boost.Asio (Boost 1.74, g++ 12, C++20)

#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/asio.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "bench_must.h"
#include "keylink/base/encoding.h"
#include "keylink/crypto/aead.h"
#include "keylink/identity/eth_account.h"
#include "keylink/identity/xmtp_identity.h"
#include "keylink/keystore/local_keystore.h"
#include "keylink/link/initiator.h"
#include "keylink/link/link_uri.h"
#include "keylink/link/one_time_code.h"
#include "keylink/messaging/message_store.h"
#include "keylink/runtime/device_link.h"
#include "keylink/runtime/device_store.h"
#include "keylink/runtime/devices.h"
#include "keylink/runtime/home.h"
#include "keylink/runtime/link_channel.h"
#include "keylink/store/transaction.h"
#include "keylink/sync/group_key.h"
#include "keylink/sync/installation.h"
#include "keylink/sync/installation_list.h"
#include "keylink/wire/xmtp/content.h"
#include "keylink/wire/xmtp/content_types.h"
#include "keylink/wire/xmtp/linked_account.h"

namespace asio = boost::asio;
namespace fs = std::filesystem;
namespace wx = keylink::wire::xmtp;
using namespace keylink;
using Steady = std::chrono::steady_clock;

namespace {

constexpr crypto::Argon2Params kBenchArgon2{1, 8 << 20};
constexpr auto kLinkDeadline = std::chrono::minutes(10);

struct Config {
  std::string relay;
  int relay_pid = 0;
  bool lan = false;
  fs::path dir;
  int runs = 5;
  std::size_t contacts = 1000;
  std::size_t conversations = 100;
  std::size_t messages = 1000;
  std::size_t history = 100'000;
  std::size_t size_min = 100;
  std::size_t size_max = 200;
  std::size_t chunk_bytes = 128 * 1024;  // = kHistoryChunkBytes in src/runtime/device_link.cc
};

using bench::die;
using bench::must;

const SecretBytes& passphrase() {
  static const SecretBytes pass(as_bytes("link bench"));
  return pass;
}
runtime::Home open_home(const fs::path& dir, Rng& rng) {
  return must(runtime::Home::open(dir, passphrase(), rng, kBenchArgon2), "home " + dir.string());
}

double ms_between(Steady::time_point a, Steady::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// CPU seconds (user + system) of this process, and of another process by pid (/proc, clock ticks).
double cpu_self() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}
double cpu_of(int pid) {
  if (pid <= 0) return 0;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), {});
  const auto close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(field);  // utime, stime
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

template <class Pred>
void pump(asio::io_context& io, Pred done) {
  const auto deadline = Steady::now() + kLinkDeadline;
  while (!done()) {
    if (io.stopped()) io.restart();
    io.run_one_for(std::chrono::milliseconds(100));
    if (Steady::now() > deadline) die("timed out");
  }
}

// ---------------------------------------------------------------------------------------------------
// A's home.

struct Peer {
  std::string address;
  wx::SignedPublicKeyBundle bundle;
};

// Real XMTP identities for the contacts: each its own wallet, made in a scratch database and rolled back.
std::vector<Peer> make_peers(const fs::path& dir, std::size_t count, Rng& rng, const Clock& clock) {
  auto scratch = open_home(dir, rng);
  std::vector<Peer> peers;
  peers.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    auto txn = must(store::Transaction::begin(scratch.db()), "scratch transaction");
    Secret<32> key;
    rng.fill(key.expose_mutable());
    auto wallet = must(identity::EthAccount::import(scratch.db(), scratch.vault(), rng, key), "peer wallet");
    auto identity = must(identity::XmtpIdentity::create(wallet, clock, rng), "peer identity");
    peers.push_back({wallet.address().to_string(), identity.public_bundle()});
  }  // each transaction rolls back: the scratch home keeps no account
  return peers;
}

std::string text_of(std::size_t index, const Config& config) {
  const std::size_t span = config.size_max - config.size_min + 1;
  std::string text = "message " + std::to_string(index) + " ";
  text.resize(config.size_min + (index * 37) % span, 'x');
  return text;
}

// A's home in `dir`: identity, first device, contacts, conversations and `messages` messages.
void make_account_home(const fs::path& dir, const std::vector<Peer>& peers, std::size_t messages,
                       const Config& config, Rng& rng, const Clock& clock) {
  auto home = open_home(dir, rng);
  auto wallet = must(identity::EthAccount::load_or_create(home.db(), home.vault(), rng), "A's wallet");
  auto keystore = must(keystore::LocalKeystore::create(home.db(), home.vault(),
                                                       must(identity::XmtpIdentity::create(wallet, clock, rng), "A's identity"),
                                                       rng),
                       "A's keystore");
  must(runtime::enroll_first_device(home, *keystore, "bench-a", "linux", rng, clock), "A's first device");
  auto store = must(messaging::MessageStore::open(home.db(), home.vault(), rng), "A's message store");
  const auto now_ns = static_cast<std::uint64_t>(clock.unix_millis()) * 1'000'000;
  std::vector<std::string> topics;
  {
    auto txn = must(store::Transaction::begin(home.db()), "transaction");
    for (std::size_t i = 0; i < std::min(config.contacts, peers.size()); ++i) {
      must(store.put_contact(peers[i].address, peers[i].bundle, now_ns), "put_contact");
      must(store.set_consent(peers[i].address, messaging::Consent::kAllowed, now_ns), "set_consent");
    }
    for (std::size_t i = 0; i < std::min(config.conversations, peers.size()); ++i) {
      identity::CreateInviteRequest request{peers[i].bundle, "", {}, now_ns - 1'000'000'000'000 + i};
      topics.push_back(must(keystore->create_invite(request), "create_invite").conversation.topic);
    }
    must(txn.commit(), "commit");
  }
  if (topics.empty()) topics.push_back("/xmtp/0/m-bench/proto");
  const std::string self = keystore->account_address();
  constexpr std::size_t kPerTransaction = 10'000;
  for (std::size_t first = 0; first < messages; first += kPerTransaction) {
    auto txn = must(store::Transaction::begin(home.db()), "transaction");
    for (std::size_t i = first; i < std::min(messages, first + kPerTransaction); ++i) {
      Bytes id(32);
      rng.fill(id);
      const std::size_t conversation = i % topics.size();
      const std::string& sender = i % 2 == 0 || peers.empty() ? self : peers[conversation % peers.size()].address;
      const messaging::StoredMessage message{to_hex(id), topics[conversation], sender, now_ns - (messages - i) * 1'000'000,
                                             wx::encode(wx::encode_text(text_of(i, config)))};
      must(store.add(message, rng), "add");
    }
    must(txn.commit(), "commit");
  }
}

void copy_home(const fs::path& from, const fs::path& to) {
  fs::remove_all(to);
  fs::copy(from, to, fs::copy_options::recursive);
}

// ---------------------------------------------------------------------------------------------------
// One link, URI read → B synced, timed at the callbacks of both roles.

struct LinkRun {
  double start_ms = 0;     // AccountLink::start returned: URI check, code burn, keystore load, channel opened
  double ask_ms = 0;       // on_ask at A: channel up, Hello → DeviceInfo
  double decided_ms = 0;   // decide() returned: the account payload built (LinkedAccount encode), sealed, sent
  double b_linked_ms = 0;  // B committed: Account → Installed → Welcome, B's commit transaction
  double a_linked_ms = 0;  // A got Committed, stored the new list
  double b_done_ms = 0;    // B stored the last history chunk: B synced
  double a_done_ms = 0;
  std::uint32_t chunks = 0;
  double cpu_history_s = 0;    // this process (A and B) from A's on_linked to B's end
  double relay_history_s = 0;  // the relay process, the same span
  std::int64_t b_messages = 0;
  std::string a_failed;  // A's on_done error, if any (B synced regardless: checked by the caller)
};

LinkRun link_once(const fs::path& a_dir, const fs::path& b_dir, bool lan, const Config& config, Rng& rng,
                  const Clock& clock) {
  asio::io_context io{1};
  auto a_home = open_home(a_dir, rng);
  auto b_home = open_home(b_dir, rng);
  {
    auto devices = must(runtime::DeviceStore::open(a_home.db(), a_home.vault()), "A's devices");
    const auto code = link::OneTimeCode::generate(rng, clock.now());
    must(devices.save_code(code, rng), "save_code");
    // `code` is what A shows; B is given it.
    runtime::DeviceLinkOptions b_options;
    b_options.relay.url = config.relay;
    b_options.name = "bench-b";
    b_options.platform = "linux";
    LinkRun run;
    Steady::time_point t0;
    std::optional<Steady::time_point> b_end, a_end;
    double cpu_at_linked = 0, relay_at_linked = 0;
    std::unique_ptr<runtime::AccountLink> a_link;

    runtime::DeviceLinkCallbacks b_callbacks;
    b_callbacks.on_linked = [&] { run.b_linked_ms = ms_between(t0, Steady::now()); };
    b_callbacks.on_progress = [&](std::uint32_t, std::uint32_t total) { run.chunks = total; };
    b_callbacks.on_done = [&](Result<void> result) {
      must(std::move(result), "B's link");
      b_end = Steady::now();
      run.cpu_history_s = cpu_self() - cpu_at_linked;
      run.relay_history_s = cpu_of(config.relay_pid) - relay_at_linked;
    };
    auto b_link = must(runtime::JoinLink::start(io, b_home, std::string(code.text()),
                                                lan ? std::optional<std::string>("127.0.0.1:0") : std::nullopt,
                                                b_options, rng, clock, std::move(b_callbacks)),
                       "JoinLink::start");
    const std::string uri = b_link->uri().to_string();
    // B shows its URI; a person takes seconds to read it. By then B is connected and subscribed.
    io.run_for(std::chrono::milliseconds(300));
    io.restart();

    runtime::DeviceLinkOptions a_options = b_options;
    a_options.name = "bench-a";
    runtime::DeviceLinkCallbacks a_callbacks;
    a_callbacks.on_ask = [&](const link::DeviceInfo&, link::Capabilities) {
      run.ask_ms = ms_between(t0, Steady::now());
      a_link->decide(link::AccountKind::kLight);
      run.decided_ms = ms_between(t0, Steady::now());
    };
    a_callbacks.on_linked = [&] {
      run.a_linked_ms = ms_between(t0, Steady::now());
      cpu_at_linked = cpu_self();
      relay_at_linked = cpu_of(config.relay_pid);
    };
    a_callbacks.on_done = [&](Result<void> result) {
      if (!result) run.a_failed = result.error().message;
      a_end = Steady::now();
    };
    t0 = Steady::now();
    a_link = must(runtime::AccountLink::start(io, a_home, uri, a_options, rng, clock, std::move(a_callbacks)),
                  "AccountLink::start");
    run.start_ms = ms_between(t0, Steady::now());
    pump(io, [&] { return a_end && b_end; });
    run.b_done_ms = ms_between(t0, *b_end);
    run.a_done_ms = ms_between(t0, *a_end);
    a_link.reset();
    b_link.reset();
    io.restart();
    io.poll();
    auto b_store = must(messaging::MessageStore::open(b_home.db(), b_home.vault(), rng), "B's store");
    run.b_messages = must(b_store.count_all(), "B's count");
    return run;
  }
}

// ---------------------------------------------------------------------------------------------------
// The steps of a link, each alone with the library's own calls, on copies of the homes.

struct Steps {
  double uri_check_ms = 0;   // LinkUri::parse, the stored code read, burnt and saved, LinkInitiator::create
  double keystore_ms = 0;    // LocalKeystore::load + enroll_first_device (nothing to do) + MessageStore::open
  double connect_ms = 0;     // a channel made until on_up (relay: key, WebSocket, auth, subscribe; LAN: TCP)
  double rtt_ms = 0;         // one message there and back over two channels (median of 50)
  double export_ms = 0;      // LocalKeystore::linked_account() (LinkedAccount encode)
  std::size_t export_bytes = 0;
  double commit_ms = 0;      // B's commit: decode, verify the list, adopt, keys, list, group key, one txn
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// Two channels to each other (relay: two topics; LAN: B listens, A connects); their connect time and
// the median round trip of a small message.
std::pair<double, double> channel_times(bool lan, const Config& config, Rng& rng, const Clock& clock) {
  asio::io_context io{1};
  std::unique_ptr<runtime::LinkChannel> a, b;
  bool a_up = false, b_up = false;
  int received_a = 0, received_b = 0;
  auto callbacks = [&](bool& up, int& received) {
    runtime::LinkChannelCallbacks c;
    c.on_up = [&up] { up = true; };
    c.on_message = [&received](Bytes) { ++received; };
    c.on_down = [](const Error&) {};
    c.on_send_failed = [](const Error& why) { die("channel send: " + why.message); };
    return c;
  };
  Bytes topic_a(32), topic_b(32);
  rng.fill(topic_a);
  rng.fill(topic_b);
  double connect = 0;
  if (lan) {
    auto listening = must(runtime::LanLinkChannel::listen(io, "127.0.0.1", 0, {}, callbacks(b_up, received_b)), "listen");
    const std::string address = listening->address();
    b = std::move(listening);
    const auto start = Steady::now();
    a = must(runtime::LanLinkChannel::connect(io, address, {}, callbacks(a_up, received_a)), "connect");
    pump(io, [&] { return a_up; });  // the connector's side; the listener's comes with the first frame
    connect = ms_between(start, Steady::now());
  } else {
    runtime::RelayLinkOptions options{{.url = config.relay}, to_hex(topic_b), to_hex(topic_a)};
    b = must(runtime::RelayLinkChannel::open(io, options, rng, clock, callbacks(b_up, received_b)), "relay channel");
    pump(io, [&] { return b_up; });
    std::swap(options.inbound_topic, options.outbound_topic);
    const auto start = Steady::now();
    a = must(runtime::RelayLinkChannel::open(io, options, rng, clock, callbacks(a_up, received_a)), "relay channel");
    pump(io, [&] { return a_up; });
    connect = ms_between(start, Steady::now());
  }
  std::vector<double> rtts;
  for (int i = 0; i < 50; ++i) {
    const auto t = Steady::now();
    Bytes ping(200, static_cast<std::uint8_t>(i));  // distinct: the relay keeps one copy of equal messages
    must(a->send(ping), "send");
    pump(io, [&] { return received_b == i + 1; });
    ping[1] = 0xff;
    must(b->send(ping), "send");
    pump(io, [&] { return received_a == i + 1; });
    rtts.push_back(ms_between(t, Steady::now()));
  }
  return {connect, median(rtts)};
}

Steps time_steps(const fs::path& a_template, const fs::path& work, bool lan, const Config& config, Rng& rng,
                 const Clock& clock) {
  Steps steps;
  const fs::path a_dir = work / "steps-a", b_dir = work / "steps-b";
  copy_home(a_template, a_dir);
  fs::remove_all(b_dir);
  auto a_home = open_home(a_dir, rng);
  auto b_home = open_home(b_dir, rng);
  auto devices = must(runtime::DeviceStore::open(a_home.db(), a_home.vault()), "devices");
  auto code = link::OneTimeCode::generate(rng, clock.now());
  must(devices.save_code(code, rng), "save_code");
  // A URI as B makes it (the link layer's own joiner), read by A.
  const std::string uri = [&] {
    asio::io_context io{1};
    runtime::DeviceLinkOptions options;
    options.relay.url = config.relay.empty() ? "ws://127.0.0.1:9" : config.relay;
    auto join = must(runtime::JoinLink::start(io, b_home, std::string(code.text()), std::nullopt, options, rng, clock, {}),
                     "JoinLink::start");
    return join->uri().to_string();
  }();

  auto t = Steady::now();
  {
    auto parsed = must(link::LinkUri::parse(uri, clock.now()), "LinkUri::parse");
    auto store = must(runtime::DeviceStore::open(a_home.db(), a_home.vault()), "devices");
    auto stored = must(store.code(), "code");
    if (!stored) die("no code");
    auto initiator = link::LinkInitiator::create(parsed, *stored, rng, clock.now());
    must(store.save_code(*stored, rng), "save_code");
    if (!initiator) die("LinkInitiator::create: " + initiator.error().message);
  }
  steps.uri_check_ms = ms_between(t, Steady::now());

  t = Steady::now();
  auto keystore = must(keystore::LocalKeystore::load(a_home.db(), a_home.vault(), rng), "load");
  must(runtime::enroll_first_device(a_home, *keystore, "bench-a", "linux", rng, clock), "enroll");
  must(messaging::MessageStore::open(a_home.db(), a_home.vault(), rng), "store");
  steps.keystore_ms = ms_between(t, Steady::now());

  std::tie(steps.connect_ms, steps.rtt_ms) = channel_times(lan, config, rng, clock);

  t = Steady::now();
  const SecretBytes account = keystore->linked_account();
  steps.export_ms = ms_between(t, Steady::now());
  steps.export_bytes = account.size();

  // B's side of the commit (JoinLink::State::commit_account), with A's list and group keys.
  const Bytes list_bytes = sync::encode(*must(devices.list(), "list"));
  const SecretBytes ring_bytes = sync::encode(must(devices.group_keys(), "group keys"));
  t = Steady::now();
  {
    auto linked = must(wx::decode_linked_account(account.expose()), "decode_linked_account");
    auto list = must(sync::decode_installation_list(list_bytes), "decode list");
    must(sync::verify_list(list, linked.identity.identity_key.secret.public_key()), "verify_list");
    auto ring = must(sync::decode_group_key_ring(ring_bytes.expose()), "decode ring");
    auto keys = sync::InstallationKeys::generate(rng);
    auto txn = must(store::Transaction::begin(b_home.db()), "transaction");
    auto b_devices = must(runtime::DeviceStore::open(b_home.db(), b_home.vault()), "B's devices");
    must(keystore::LocalKeystore::adopt(b_home.db(), b_home.vault(), std::move(linked), rng), "adopt");
    must(b_devices.save_keys(keys, rng), "save_keys");
    must(b_devices.save_list(list), "save_list");
    must(b_devices.save_group_keys(ring, rng), "save_group_keys");
    must(txn.commit(), "commit");
  }
  steps.commit_ms = ms_between(t, Steady::now());
  return steps;
}

// ---------------------------------------------------------------------------------------------------
// The bound of the history: per chunk of the same bytes, ChaCha20-Poly1305 seal and open of the encoded
// chunk (the link's AEAD), and MessageStore::add of its messages into a fresh home (vault sealing), one
// transaction per chunk as B stores them.

struct Bound {
  double read_seconds = 0;    // A's side, not in the bound: page() (SQLite + vault open) and encode, per chunk
  double decode_seconds = 0;  // B's side, not in the bound: decode_history_chunk
  double seconds = 0;
  double aead_seconds = 0;
  double cpu_seconds = 0;
  std::size_t messages = 0;
};

Bound measure_bound(const fs::path& a_dir, const fs::path& b_dir, const Config& config, Rng& rng) {
  // The chunks A would send, read and encoded before the clock starts.
  std::vector<Bytes> encoded;
  std::vector<std::vector<messaging::StoredMessage>> chunks;
  Bound bound;
  {
    const auto r0 = Steady::now();
    auto a_home = open_home(a_dir, rng);
    auto store = must(messaging::MessageStore::open(a_home.db(), a_home.vault(), rng), "A's store");
    for (const auto& range : must(store.page_bounds(config.chunk_bytes), "page_bounds")) {
      auto page = must(store.page(range.after, range.count), "page");
      std::vector<wx::HistoryMessage> chunk;
      for (const auto& m : page.messages) chunk.push_back({m.id, m.topic, m.sender_address, m.sent_ns, m.content});
      encoded.push_back(wx::encode_history_chunk(chunk));
      chunks.push_back(std::move(page.messages));
    }
    bound.read_seconds = std::chrono::duration<double>(Steady::now() - r0).count();
    const auto d0 = Steady::now();
    for (const auto& bytes : encoded) must(wx::decode_history_chunk(bytes), "decode_history_chunk");
    bound.decode_seconds = std::chrono::duration<double>(Steady::now() - d0).count();
  }
  fs::remove_all(b_dir);
  auto b_home = open_home(b_dir, rng);
  auto b_store = must(messaging::MessageStore::open(b_home.db(), b_home.vault(), rng), "B's store");
  Secret<32> key;
  rng.fill(key.expose_mutable());
  const double cpu0 = cpu_self();
  const auto t0 = Steady::now();
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    const auto a0 = Steady::now();
    crypto::AeadNonce nonce{};
    nonce[0] = static_cast<std::uint8_t>(i);
    nonce[1] = static_cast<std::uint8_t>(i >> 8);
    const Bytes sealed = crypto::chacha20poly1305_seal(key, nonce, encoded[i]);
    const Bytes opened = must(crypto::chacha20poly1305_open(key, nonce, sealed), "open");
    bound.aead_seconds += std::chrono::duration<double>(Steady::now() - a0).count();
    auto txn = must(store::Transaction::begin(b_home.db()), "transaction");
    for (const auto& m : chunks[i]) must(b_store.add(m, rng), "add");
    must(txn.commit(), "commit");
    bound.messages += chunks[i].size();
  }
  bound.seconds = std::chrono::duration<double>(Steady::now() - t0).count();
  bound.cpu_seconds = cpu_self() - cpu0;
  return bound;
}

// ---------------------------------------------------------------------------------------------------

struct Spread {
  double median = 0, min = 0, max = 0;
};
Spread spread(std::vector<double> v) {
  if (v.empty()) return {};
  return {median(v), *std::min_element(v.begin(), v.end()), *std::max_element(v.begin(), v.end())};
}
std::string fmt(double value, int decimals = 1) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}
std::string fmt(const Spread& s, int decimals = 1) {
  return fmt(s.median, decimals) + " (" + fmt(s.min, decimals) + "–" + fmt(s.max, decimals) + ")";
}

struct Path {
  std::string name;
  bool lan = false;
};

void link_figures(const fs::path& a_template, const std::vector<Path>& paths, const Config& config, Rng& rng,
                  const Clock& clock) {
  std::cout << "\n### Link, URI read → B synced (" << config.contacts << " contacts, " << config.conversations
            << " conversations, " << config.messages << " messages on A; " << config.runs
            << " runs: median (min–max), ms)\n\n";
  std::cout << "| step | " << (paths.size() > 1 ? paths[0].name + " | " + paths[1].name : paths[0].name) << " |\n";
  std::cout << "|---|" << (paths.size() > 1 ? "---:|---:|" : "---:|") << "\n";
  struct Column {
    std::vector<LinkRun> runs;
    Steps steps;
  };
  std::vector<Column> columns(paths.size());
  for (int r = 0; r < config.runs; ++r) {
    for (std::size_t p = 0; p < paths.size(); ++p) {
      const fs::path a_dir = config.dir / "run-a", b_dir = config.dir / "run-b";
      copy_home(a_template, a_dir);
      fs::remove_all(b_dir);
      auto run = link_once(a_dir, b_dir, paths[p].lan, config, rng, clock);
      std::cerr << paths[p].name << " run " << r << ": " << fmt(run.b_done_ms) << " ms, B has " << run.b_messages
                << " messages in " << run.chunks << " chunks"
                << (run.a_failed.empty() ? "" : "; A reported: " + run.a_failed) << "\n";
      if (run.b_messages != static_cast<std::int64_t>(config.messages)) die("B does not have every message");
      columns[p].runs.push_back(run);
    }
  }
  for (std::size_t p = 0; p < paths.size(); ++p) {
    columns[p].steps = time_steps(a_template, config.dir, paths[p].lan, config, rng, clock);
  }
  auto row = [&](const std::string& name, auto field) {
    std::cout << "| " << name << " |";
    for (auto& column : columns) {
      std::vector<double> v;
      for (auto& run : column.runs) v.push_back(field(run));
      std::cout << " " << fmt(spread(v)) << " |";
    }
    std::cout << "\n";
  };
  auto step = [&](const std::string& name, auto field) {
    std::cout << "| " << name << " |";
    for (auto& column : columns) std::cout << " " << fmt(field(column.steps), 2) << " |";
    std::cout << "\n";
  };
  row("**URI read → B synced (B stored the last chunk)**", [](const LinkRun& r) { return r.b_done_ms; });
  row("AccountLink::start returns (URI check, code burn, keystore load, channel opened)",
      [](const LinkRun& r) { return r.start_ms; });
  row("→ on_ask at A (channel up, Hello → DeviceInfo)", [](const LinkRun& r) { return r.ask_ms - r.start_ms; });
  row("→ decide() returns (payload: LinkedAccount encode, list, group key; sealed, sent)",
      [](const LinkRun& r) { return r.decided_ms - r.ask_ms; });
  row("→ B committed (Account → Installed → Welcome; B's commit)", [](const LinkRun& r) { return r.b_linked_ms - r.decided_ms; });
  row("→ A linked (Committed; A stores the list)", [](const LinkRun& r) { return r.a_linked_ms - r.b_linked_ms; });
  row("→ B synced (history)", [](const LinkRun& r) { return r.b_done_ms - r.a_linked_ms; });
  std::cout << "| *each step alone, same run:* | |" << (paths.size() > 1 ? " |" : "") << "\n";
  step("A's URI check + code burn (parse, code read, burnt, saved; LinkInitiator::create)",
       [](const Steps& s) { return s.uri_check_ms; });
  step("A's keystore load + MessageStore::open", [](const Steps& s) { return s.keystore_ms; });
  step("channel connect (relay: WebSocket, auth, subscribe; LAN: TCP) until on_up", [](const Steps& s) { return s.connect_ms; });
  step("one round trip over the channel (median of 50; the handshake makes 3)", [](const Steps& s) { return s.rtt_ms; });
  step("account export: linked_account() (LinkedAccount encode)", [](const Steps& s) { return s.export_ms; });
  step("B's commit transaction (adopt identity + conversations, keys, list, group key)",
       [](const Steps& s) { return s.commit_ms; });
  std::cout << "\nLinkedAccount: " << columns[0].steps.export_bytes << " bytes; history: " << columns[0].runs[0].chunks
            << " chunk(s).\n";
}

void history_figures(const fs::path& a_template, const std::vector<Path>& paths, const Config& config, Rng& rng,
                     const Clock& clock) {
  std::cout << "\n### History transfer of " << config.history << " messages (A's cache → B's, through the link)\n\n";
  std::cout << "| what | seconds | messages/s | CPU µs/message (this process) | relay CPU µs/message |\n";
  std::cout << "|---|---:|---:|---:|---:|\n";
  double best_link = 0;
  for (const auto& path : paths) {
    const fs::path a_dir = config.dir / "hist-a", b_dir = config.dir / "hist-b";
    copy_home(a_template, a_dir);
    fs::remove_all(b_dir);
    auto run = link_once(a_dir, b_dir, path.lan, config, rng, clock);
    if (run.b_messages != static_cast<std::int64_t>(config.history)) die("B does not have every message");
    if (!run.a_failed.empty()) std::cerr << path.name << " history: A reported: " << run.a_failed << "\n";
    const double seconds = (run.b_done_ms - run.a_linked_ms) / 1000;
    const double n = static_cast<double>(config.history);
    best_link = std::max(best_link, n / seconds);
    std::cout << "| link history, " << path.name << " (" << run.chunks << " chunks) | " << fmt(seconds, 2) << " | "
              << fmt(n / seconds, 0) << " | " << fmt(run.cpu_history_s / n * 1e6) << " | "
              << (path.lan ? "–" : fmt(run.relay_history_s / n * 1e6)) << " |\n";
  }
  const auto bound = measure_bound(a_template, config.dir / "bound-b", config, rng);
  const double n = static_cast<double>(bound.messages);
  std::cout << "| bound: AEAD seal + open of each chunk, MessageStore::add on B (one txn a chunk) | "
            << fmt(bound.seconds, 2) << " | " << fmt(n / bound.seconds, 0) << " | " << fmt(bound.cpu_seconds / n * 1e6)
            << " | – |\n";
  std::cout << "| of which AEAD seal + open | " << fmt(bound.aead_seconds, 3) << " | | " << fmt(bound.aead_seconds / n * 1e6, 2)
            << " (wall) | |\n";
  std::cout << "| not in the bound: A's page() reads (SQLite + vault open) and chunk encode | " << fmt(bound.read_seconds, 3)
            << " | | " << fmt(bound.read_seconds / n * 1e6, 2) << " (wall) | |\n";
  std::cout << "| not in the bound: B's decode_history_chunk | " << fmt(bound.decode_seconds, 3) << " | | "
            << fmt(bound.decode_seconds / n * 1e6, 2) << " (wall) | |\n";
  std::cout << "\nFastest link path / bound: " << fmt((n / bound.seconds) / best_link, 2) << " x the bound's time.\n";
}

}  // namespace

int main(int argc, char** argv) {
  Config config;
  CLI::App app{"keylink device-link benchmark (docs/benchmarks.md, \"Device linking\")"};
  app.add_option("--relay", config.relay, "keylink-relay URL (ws://127.0.0.1:PORT); without it, LAN only");
  app.add_option("--relay-pid", config.relay_pid, "the relay's pid, for its CPU time");
  app.add_flag("--lan", config.lan, "also the LAN path (TCP on 127.0.0.1)");
  app.add_option("--dir", config.dir, "scratch directory for the homes")->required();
  app.add_option("--runs", config.runs, "links per path for the first figure (0: skip it)");
  app.add_option("--contacts", config.contacts);
  app.add_option("--conversations", config.conversations);
  app.add_option("--messages", config.messages, "messages on A for the first figure");
  app.add_option("--history", config.history, "messages for the history figure (0: skip)");
  app.add_option("--size-min", config.size_min, "text bytes per message, least");
  app.add_option("--size-max", config.size_max, "text bytes per message, most");
  app.add_option("--chunk-bytes", config.chunk_bytes, "the bound's chunk size (kHistoryChunkBytes)");
  CLI11_PARSE(app, argc, argv);
  if (config.size_max < config.size_min) die("--size-max below --size-min");

  std::vector<Path> paths;
  if (!config.relay.empty()) paths.push_back({"relay (keylink-relay process)", false});
  if (config.lan) paths.push_back({"LAN (TCP loopback)", true});
  if (paths.empty()) die("give --relay URL and/or --lan");

  SystemRng rng;
  SystemClock clock;
  fs::create_directories(config.dir);
  auto t = Steady::now();
  const auto peers = make_peers(config.dir / "scratch", std::max(config.contacts, config.conversations), rng, clock);
  const fs::path small = config.dir / "template-a";
  make_account_home(small, peers, config.messages, config, rng, clock);
  std::cerr << "A's home made in " << fmt(ms_between(t, Steady::now()) / 1000, 1) << " s\n";
  if (config.runs > 0) link_figures(small, paths, config, rng, clock);
  if (config.history > 0) {
    t = Steady::now();
    const fs::path large = config.dir / "template-history";
    make_account_home(large, peers, config.history, config, rng, clock);
    std::cerr << "A's history home made in " << fmt(ms_between(t, Steady::now()) / 1000, 1) << " s\n";
    history_figures(large, paths, config, rng, clock);
  }
  return 0;
}
