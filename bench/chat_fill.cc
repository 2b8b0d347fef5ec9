// The 10,000-message conversation of docs/benchmarks.md, "Chat" (issue 5), and where the time of a
// cold `keylink chat read` goes. bench/run-chat-read-bench drives it against a running keylink-relay.
//
//   chat_fill --relay ws://127.0.0.1:PORT --dir DIR [--messages 10000] [--size 100]
//     makes the homes DIR/alice and DIR/bob (passphrase: KEYLINK_PASSPHRASE; light Argon2 parameters,
//     which the CLI reads back from the home), publishes Bob's contact, and has Alice send N text
//     messages to Bob, one XmtpNode::send after the other, then waits until the relay has them all.
//     Prints one JSON line: {"alice","bob","messages","fill_seconds","messages_per_s"}.
//
//   chat_fill --phases --relay ws://127.0.0.1:PORT --dir DIR
//     on DIR/bob-copy (a copy of Bob's home made before any read), the steps of a cold read, timed one
//     by one in this process with the library's own calls: invitations (query + save), (a) fetch the
//     conversation topic (XmtpTransport::query_all, pages of 1000), (b) open (open_messages through the
//     home's LocalKeystore), (c) store (MessageStore::add for each, one transaction), (d) read back
//     (MessageStore::messages). Then what a second read fetches again: the topic from its last-read mark
//     minus the node's one-hour overlap, and the Messenger's step on it (stored ids are not opened again).
//     Prints one JSON line with the milliseconds and counts.
#include <utility>  // before Boost.Asio (Boost 1.74, g++ 12, C++20)

#include <CLI/CLI.hpp>
#include <boost/asio.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>

#include <nlohmann/json.hpp>

#include "bench_must.h"
#include "keylink/keystore/local_keystore.h"
#include "keylink/messaging/message.h"
#include "keylink/messaging/message_store.h"
#include "keylink/messaging/messenger.h"
#include "keylink/relay/outbox.h"
#include "keylink/runtime/home.h"
#include "keylink/runtime/xmtp_node.h"
#include "keylink/runtime/xmtp_transport.h"
#include "keylink/store/transaction.h"
#include "keylink/wire/xmtp/content_types.h"

namespace asio = boost::asio;
using namespace keylink;
using Steady = std::chrono::steady_clock;

namespace {

// The benchmark measures messaging, not the passphrase; the CLI opens these homes with the stored params.
constexpr crypto::Argon2Params kBenchArgon2{1, 8 << 20};
constexpr auto kDeadline = std::chrono::minutes(20);

using bench::die;
using bench::must;

SecretBytes passphrase() {
  const char* text = std::getenv("KEYLINK_PASSPHRASE");
  if (!text || !*text) die("set KEYLINK_PASSPHRASE");
  return SecretBytes(ByteView(reinterpret_cast<const std::uint8_t*>(text), std::strlen(text)));
}

// Runs the loop until `done()` (everything here is callbacks on one thread, driven step by step).
template <class Pred>
void pump(asio::io_context& io, Pred done) {
  const auto deadline = Steady::now() + kDeadline;
  while (!done()) {
    if (io.stopped()) io.restart();
    io.run_one_for(std::chrono::milliseconds(100));
    if (Steady::now() > deadline) die("timed out");
  }
}

double ms_since(Steady::time_point start) {
  return std::chrono::duration<double, std::milli>(Steady::now() - start).count();
}

std::string text_of(std::size_t index, std::size_t size) {
  std::string text = "message " + std::to_string(index) + " ";
  text.resize(std::max(size, text.size()), 'x');
  return text;
}

int fill(const std::string& relay_url, const std::filesystem::path& dir, std::size_t count, std::size_t size) {
  asio::io_context io{1};
  SystemRng rng;
  SystemClock clock;
  const auto pass = passphrase();
  auto alice_home = must(runtime::Home::open(dir / "alice", pass, rng, kBenchArgon2), "alice's home");
  auto bob_home = must(runtime::Home::open(dir / "bob", pass, rng, kBenchArgon2), "bob's home");
  runtime::XmtpNodeCallbacks callbacks{
      .on_message = {},
      .on_refused = [](const messaging::Refusal& r) { std::cerr << "refused on " << r.topic << ": " << r.error.message << '\n'; },
      .on_relay_state = {},
      .on_publish_error = [](const Error& e) { std::cerr << "publish: " << e.message << '\n'; },
  };
  relay::ClientOptions options;
  options.url = relay_url;
  auto bob = must(runtime::XmtpNode::open(io, bob_home, options, rng, clock, callbacks), "bob's node");
  auto alice = must(runtime::XmtpNode::open(io, alice_home, options, rng, clock, callbacks), "alice's node");
  bob->start();
  alice->start();
  bool contacts_out = false;
  int pending = 2;
  for (auto* node : {bob.get(), alice.get()}) {
    node->when_sent([&] { contacts_out = --pending == 0; });
  }
  pump(io, [&] { return contacts_out; });

  const auto peer = must(crypto::EthAddress::parse(bob->address()), "bob's address");
  const auto start = Steady::now();
  std::size_t sent = 0;
  bool all_queued = false;
  std::function<void()> next = [&] {
    if (sent == count) {
      all_queued = true;
      return;
    }
    alice->send(peer, wire::xmtp::encode_text(text_of(sent, size)), [&](Result<messaging::Messenger::Sent> result) {
      if (!result) die("send " + std::to_string(sent) + ": " + result.error().message);
      ++sent;
      next();
    });
  };
  next();
  pump(io, [&] { return all_queued; });
  bool acked = false;
  alice->when_sent([&] { acked = true; });
  pump(io, [&] { return acked; });
  const double seconds = ms_since(start) / 1000.0;
  alice->stop();
  bob->stop();
  std::cout << nlohmann::json{{"alice", alice->address()},
                              {"bob", bob->address()},
                              {"messages", count},
                              {"size", size},
                              {"fill_seconds", seconds},
                              {"messages_per_s", static_cast<double>(count) / seconds}}
                   .dump()
            << std::endl;
  return 0;
}

// The parts a node is made of, opened by hand so that each step of its sync can be timed alone.
int phases(const std::string& relay_url, const std::filesystem::path& home_dir) {
  asio::io_context io{1};
  SystemRng rng;
  SystemClock clock;
  auto home = must(runtime::Home::open(home_dir, passphrase(), rng), "home " + home_dir.string());
  auto store = must(messaging::MessageStore::open(home.db(), home.vault(), rng), "message store");
  auto keystore = must(keystore::LocalKeystore::load(home.db(), home.vault(), rng), "keystore");
  messaging::Messenger messenger(*keystore, store, rng, clock);
  auto outbox = must(relay::RelayOutbox::open(home.db()), "outbox");
  std::unique_ptr<runtime::XmtpTransport> transport;
  bool connected = false;
  relay::ClientOptions options;
  options.url = relay_url;
  relay::RelayClient client(
      io, options, home.client_key(), outbox, clock, rng,
      {.on_message = [&](const relay::RelayMessage& m) { return transport->handles(m.topic) ? transport->on_relay_message(m) : true; },
       .on_state = [&](relay::RelayClient::State s, const std::string&) { connected = s == relay::RelayClient::State::kConnected; },
       .on_published = {}});
  transport = std::make_unique<runtime::XmtpTransport>(
      client, outbox, home.db(),
      runtime::XmtpTransport::Callbacks{
          .on_envelope = [](const wire::xmtp::Envelope&) { return true; },
          .on_dropped = [](const std::string& topic, const Error& e) { std::cerr << "dropped on " << topic << ": " << e.message << '\n'; }});

  auto query = [&](const std::string& topic, runtime::XmtpQueryOptions query_options) {
    std::optional<Result<std::vector<wire::xmtp::Envelope>>> got;
    transport->query_all(topic, query_options, [&](Result<std::vector<wire::xmtp::Envelope>> r) { got = std::move(r); });
    pump(io, [&] { return got.has_value(); });
    return must(std::move(*got), "query " + topic);
  };
  runtime::XmtpQueryOptions pages;
  pages.page_limit = 1000;

  auto start = Steady::now();
  client.start();
  pump(io, [&] { return connected; });
  const double connect_ms = ms_since(start);

  start = Steady::now();
  const auto invitations = query(messenger.invite_topic(), pages);
  {
    auto tx = must(store::Transaction::begin(home.db()), "transaction");
    must(messenger.receive_invites(invitations), "invitations");
    must(tx.commit(), "commit");
  }
  const double invites_ms = ms_since(start);
  const auto conversations = must(messenger.conversations(), "conversations");
  if (conversations.empty()) die("no conversation in " + home_dir.string() + ": run chat_fill first");
  const std::string topic = conversations.front().topic;

  start = Steady::now();
  const auto envelopes = query(topic, pages);
  const double fetch_ms = ms_since(start);

  start = Steady::now();
  auto opened = messaging::open_messages(*keystore, envelopes);
  const double open_ms = ms_since(start);
  std::size_t refused = 0;
  std::uint64_t newest_ns = 0;
  for (std::size_t i = 0; i < opened.size(); ++i) {
    if (!opened[i]) ++refused;
    newest_ns = std::max(newest_ns, envelopes[i].timestamp_ns);
  }

  start = Steady::now();
  std::size_t stored = 0;
  {
    auto tx = must(store::Transaction::begin(home.db()), "transaction");
    for (const auto& message : opened) {
      if (message && must(store.add(*message, rng), "add")) ++stored;
    }
    must(store.set_last_read(topic, newest_ns), "last read");
    must(tx.commit(), "commit");
  }
  const double store_ms = ms_since(start);

  start = Steady::now();
  const auto cached = must(store.messages(topic), "messages");
  const double read_ms = ms_since(start);

  // What the next read asks for again: XmtpNode reads a topic from an hour before its last-read mark.
  runtime::XmtpQueryOptions again = pages;
  constexpr std::uint64_t kOverlapNs = 3600ull * 1'000'000'000;
  if (newest_ns > kOverlapNs) again.start_ns = newest_ns - kOverlapNs;
  start = Steady::now();
  const auto refetched = query(topic, again);
  const double refetch_ms = ms_since(start);
  // The node's own step on them: ids already stored are skipped before anything is opened.
  start = Steady::now();
  std::size_t new_again = 0;
  {
    auto tx = must(store::Transaction::begin(home.db()), "transaction");
    new_again = must(messenger.receive_messages(conversations.front(), refetched), "receive again").messages.size();
    must(tx.commit(), "commit");
  }
  const double receive_again_ms = ms_since(start);

  client.stop();
  std::cout << nlohmann::json{{"connect_ms", connect_ms},     {"invites_ms", invites_ms},
                              {"fetch_ms", fetch_ms},         {"open_ms", open_ms},
                              {"store_ms", store_ms},         {"read_ms", read_ms},
                              {"envelopes", envelopes.size()}, {"refused", refused},
                              {"stored", stored},             {"read", cached.size()},
                              {"warm_refetched", refetched.size()}, {"warm_fetch_ms", refetch_ms},
                              {"warm_receive_ms", receive_again_ms}, {"warm_new", new_again}}
                   .dump()
            << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Fills a keylink chat conversation through keylink-relay; --phases times a cold read"};
  std::string relay_url;
  std::filesystem::path dir;
  std::size_t count = 10'000;
  std::size_t size = 100;
  bool phases_mode = false;
  app.add_option("--relay", relay_url, "The relay, ws://HOST:PORT")->required();
  app.add_option("--dir", dir, "Where the homes are (alice, bob; bob-copy for --phases)")->required();
  app.add_option("--messages", count, "Messages Alice sends Bob")->capture_default_str();
  app.add_option("--size", size, "Bytes of text per message")->capture_default_str();
  app.add_flag("--phases", phases_mode, "Time the steps of a cold read on DIR/bob-copy");
  CLI11_PARSE(app, argc, argv);
  return phases_mode ? phases(relay_url, dir / "bob-copy") : fill(relay_url, dir, count, size);
}
