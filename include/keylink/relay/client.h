// The relay client: one WebSocket to a WalletConnect-compatible relay, kept up for as long as it runs.
//
// It authenticates with the relay-auth JWT of the home's Ed25519 key, correlates JSON-RPC requests and
// responses, acks every irn_subscription once the message was handled, drops duplicates, sends the
// outbox (RelayOutbox) and retries each publish until the relay acks it (bounded, then a clear error),
// reconnects with exponential backoff and jitter (to the next node of the relay when it has several),
// and after every connect resubscribes to all its topics and fetches their mailboxes.
//
// Not thread-safe: every method and every callback runs on the io_context's thread.
#pragma once

#include <utility>  // before Boost.Asio (Boost 1.74, g++ 12, C++20)

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "keylink/base/clock.h"
#include "keylink/base/result.h"
#include "keylink/base/rng.h"
#include "keylink/crypto/ed25519.h"
#include "keylink/relay/outbox.h"

namespace keylink::relay {

struct ClientOptions {
  // ws:// or wss://HOST[:PORT][/PATH], the JWT's aud; or the nodes of one relay (keylink-relay
  // --cluster) separated by commas: when a connection is lost or cannot be made, the client moves to the
  // next node, and after it resubscribes and sends again what the relay had not acknowledged.
  std::string url = "ws://127.0.0.1:8787";
  // wss://: the PEM CA certificates that the relay's certificate must chain to; empty: the system's
  // trust store (OpenSSL's default paths). The certificate must also name the URL's host or address.
  std::string ca_file{};
  std::string project_id = "keylink";
  std::chrono::milliseconds request_timeout{5000};  // an unanswered request counts as a failed attempt
  int max_publish_attempts = 5;                     // then on_published reports an error
  std::chrono::milliseconds backoff_initial{200};   // reconnect delays double up to backoff_max, +-25 % jitter
  std::chrono::milliseconds backoff_max{30'000};
  std::size_t dedupe_window = 4096;  // message hashes remembered to drop duplicates
  std::size_t max_frame = 8 << 20;   // the largest frame read from the relay
};

struct RelayMessage {
  std::string topic;
  std::string message;
  std::int64_t published_at = 0;  // unix ms
  std::int64_t tag = 0;
};

// keylink_query: one page of a topic's retained history (keylink-relay's extension; DESIGN.md "The
// relay"). Bounds are inclusive, on the relay's publishedAt (unix ms).
struct QueryRequest {
  enum class Direction { kAscending, kDescending };  // oldest or newest first
  std::string topic{};
  std::optional<std::int64_t> start_ms{};
  std::optional<std::int64_t> end_ms{};
  std::optional<std::string> cursor{};  // from the previous page of the same query, else the first page
  std::optional<std::size_t> limit{};   // the relay's default is 100, its maximum 1000 (--max-query)
  Direction direction = Direction::kAscending;
};

struct QueryPage {
  std::vector<RelayMessage> messages;
  std::optional<std::string> cursor;  // none: this was the last page
};

class RelayClient {
 public:
  enum class State { kConnecting, kConnected, kStopped };

  struct Callbacks {
    // A message on a subscribed topic, once per (topic, message). Returns whether it was handled (and
    // stored): the ack goes to the relay after a true, so a message whose handling a crash cut short is
    // delivered again; after a false there is no ack and the relay delivers it again after a reconnect.
    std::function<bool(const RelayMessage&)> on_message;
    // Connected (subscriptions sent and acknowledged; with no topics, the handshake done), connecting
    // again (with the reason: "relay refused the auth token (close 3000): ...", "cannot connect to ...",
    // "wss://...: the relay's TLS certificate does not verify: certificate has expired", "relay did not
    // answer irn_publish within 5000 ms", ...), stopped (by stop(), or by start() with a URL it cannot
    // use or a ca_file it cannot load, with the reason). A certificate that does not verify is retried
    // like any failed connection, never bypassed.
    std::function<void(State, const std::string& why)> on_state;
    // An outbox row was acknowledged by the relay (ok) or given up (an error that names the cause: the
    // relay's refusal, which removes the row, code relay::Errc::kRefused, "relay refused the publish:
    // <relay's message>"; or max_publish_attempts connections lost before an answer, which keeps the row
    // for the next connection, code relay::Errc::kNotAcknowledged).
    std::function<void(std::int64_t outbox_id, const Result<void>&)> on_published;
  };

  // io, key, outbox, clock and rng must outlive the client. The state is kStopped until start().
  RelayClient(boost::asio::io_context& io, ClientOptions options, const crypto::Ed25519KeyPair& key,
              RelayOutbox& outbox, const Clock& clock, Rng& rng, Callbacks callbacks);
  // Stops without calling back. Safe while operations are pending: they end on the io_context and do
  // nothing (a WebSocket that was open finishes its closing handshake on its own).
  ~RelayClient();
  RelayClient(const RelayClient&) = delete;
  RelayClient& operator=(const RelayClient&) = delete;

  // Connects (and reconnects, until stop()). No effect unless stopped.
  void start();
  // Closes the socket (1000) and cancels the timers; pending publishes stay in the outbox. Calls
  // on_state(kStopped) before it returns, and nothing after. May be called from a callback.
  void stop();

  // Remembered, and sent now when connected (then the topic's mailbox is fetched). Idempotent.
  void subscribe(const std::string& topic);
  void unsubscribe(const std::string& topic);
  // Sends the outbox rows that are not in flight: call after committing rows to the outbox.
  void flush_outbox();

  // Asks the relay for one page of a topic's history; `done` runs once, on the io_context and never
  // from within query(), with the page or an error (code relay::Errc::kRefused, "relay refused
  // keylink_query: <relay's message>" for params the relay refuses; relay::Errc::kNotAcknowledged for
  // "not connected to the relay", or when the connection is lost or stop() is called before the answer
  // (the message says which: an unanswered request_timeout also reconnects, as for every request)).
  // Unlike publishes, queries are not retried: ask again after on_state(kConnected). If the client is
  // destroyed first, `done` is never called.
  void query(QueryRequest request, std::function<void(Result<QueryPage>)> done);

  State state() const noexcept;
  // The did:key this client authenticates as.
  const std::string& client_id() const noexcept;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace keylink::relay
