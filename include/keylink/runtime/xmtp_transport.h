// XMTP v2 envelopes over keylink-relay: publish, subscribe and query XMTP content topics through a
// RelayClient, with the mapping of wire/xmtp/relay_mapping.h (relay topic = hex sha256 of the XMTP topic,
// message = base64 of the Envelope, ttl 30 days, tag kXmtpRelayTag).
//
// Ownership: the transport does not own the RelayClient. Whoever runs the loop owns the client, its
// outbox and database, and routes the client's on_message to the transport:
//
//   callbacks.on_message = [&](const relay::RelayMessage& m) {
//     return transport->handles(m.topic) ? transport->on_relay_message(m) : other_handler(m);
//   };
//
// Delivery: an envelope on a subscribed topic goes to on_envelope once (the client drops duplicates);
// its relay message is acked when on_envelope returns true. A relay message that is not an XMTP
// Envelope, or an Envelope whose content_topic is not the XMTP topic its relay topic stands for (a relay
// or a peer can put any payload on any topic), is dropped: reported to on_dropped and acked (true), so
// that the relay does not deliver it again forever.
//
// Not thread-safe: every method and callback runs on the io_context's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "keylink/base/result.h"
#include "keylink/relay/client.h"
#include "keylink/relay/outbox.h"
#include "keylink/store/database.h"
#include "keylink/wire/xmtp/network_envelope.h"

namespace keylink::runtime {

struct XmtpQueryOptions {
  // Inclusive bounds on the envelopes' timestamp_ns. The relay selects on the time it received each
  // message (publishedAt, ms), and the transport then keeps the envelopes whose own timestamp is in
  // range: an envelope that reached the relay after end_ns (a publish that waited in an outbox) or,
  // from a sender whose clock is ahead of the relay's, before start_ns, is not found.
  std::optional<std::uint64_t> start_ns{};
  std::optional<std::uint64_t> end_ns{};
  // Only relay messages the relay received at or after this time (its publishedAt, unix ms), whatever
  // their envelopes' timestamps: where a reader that stopped (XmtpPage::last_published_ms) carries on.
  std::optional<std::int64_t> published_from_ms{};
  relay::QueryRequest::Direction direction = relay::QueryRequest::Direction::kAscending;
  std::size_t page_limit = 100;     // relay messages per keylink_query, 1 to the relay's max (1000)
  std::size_t max_total = 100'000;  // relay messages over all pages (query_all: more is an error)
};

// One page of query_pages: the envelopes kept from it, and when the relay received the last relay
// message of the page (kept or dropped; 0 for an empty page).
struct XmtpPage {
  std::vector<wire::xmtp::Envelope> envelopes;
  std::int64_t last_published_ms = 0;
};

// How query_pages ended: relay messages seen, and whether more remain past where it stopped.
struct XmtpPagesEnd {
  std::size_t seen = 0;
  bool more = false;
};

class XmtpTransport {
 public:
  struct Callbacks {
    // An envelope on a subscribed topic, already checked to belong there. Returns whether it was
    // handled (stored): see RelayClient::Callbacks::on_message.
    std::function<bool(const wire::xmtp::Envelope&)> on_envelope;
    // A relay message dropped (delivered or queried): why, on which relay topic. For the log.
    std::function<void(const std::string& relay_topic, const Error& why)> on_dropped;
  };

  // client, outbox and db (the outbox's database) must outlive the transport.
  XmtpTransport(relay::RelayClient& client, relay::RelayOutbox& outbox, store::Database& db, Callbacks callbacks);
  // Queries in flight end without calling back.
  ~XmtpTransport();
  XmtpTransport(const XmtpTransport&) = delete;
  XmtpTransport& operator=(const XmtpTransport&) = delete;

  // Adds an outbox row for the envelope (in the caller's open transaction, if any) and returns its id;
  // nothing is sent until the client's flush_outbox(). The outcome comes to the client's on_published
  // with that id. Fails (wire::Errc::kMalformed) for an envelope without a content topic.
  Result<std::int64_t> enqueue(const wire::xmtp::Envelope& envelope);
  // Adds a row per envelope in one transaction (all or none), then flushes. REQUIRES: no transaction
  // is open on db.
  Result<std::vector<std::int64_t>> publish(std::span<const wire::xmtp::Envelope> envelopes);

  // Subscribes the client to the topic's relay topic and delivers its envelopes to on_envelope.
  // Idempotent.
  void subscribe(const std::string& xmtp_topic);
  void unsubscribe(const std::string& xmtp_topic);
  // Whether a relay topic is one of the subscribed XMTP topics'.
  bool handles(std::string_view relay_topic) const;
  // For the owner's on_message. A relay topic that handles() does not know returns true (not ours).
  bool on_relay_message(const relay::RelayMessage& message);

  // Every envelope of the topic in range, following the relay's cursors to the end, in the relay's
  // order (by the time it received them, oldest or newest first). `done` runs once, on the io_context,
  // never from within query_all(): with the envelopes, or the first page's error (see
  // RelayClient::query), or wire::Errc::kTooLarge when the relay holds more than max_total messages in
  // range ("narrow the range"). Payloads that do not decode, or belong to another topic, are skipped
  // and reported to on_dropped. If the transport or the client is destroyed first, `done` never runs.
  void query_all(const std::string& xmtp_topic, XmtpQueryOptions options,
                 std::function<void(Result<std::vector<wire::xmtp::Envelope>>)> done);
  // The same walk, page by page, for a reader that must not hold a whole topic: on_page runs for each
  // page in order, before the next is asked for, and returns false to stop there (or an error, which
  // ends the walk with it). The walk stops once max_total relay messages were seen, with more = true
  // when the relay holds others: a bound on one read, never an error. `done` runs as query_all's.
  void query_pages(const std::string& xmtp_topic, XmtpQueryOptions options,
                   std::function<Result<bool>(XmtpPage)> on_page, std::function<void(Result<XmtpPagesEnd>)> done);

 private:
  struct QueryState;
  // The envelope in a relay message on `relay_topic`, when it is one and belongs to `xmtp_topic`.
  std::optional<wire::xmtp::Envelope> open(const relay::RelayMessage& message, const std::string& xmtp_topic);
  void next_page(std::shared_ptr<QueryState> state);
  void on_page(std::shared_ptr<QueryState> state, Result<relay::QueryPage> page);

  relay::RelayClient& client_;
  relay::RelayOutbox& outbox_;
  store::Database& db_;
  Callbacks callbacks_;
  std::map<std::string, std::string, std::less<>> topics_;  // relay topic -> XMTP topic
  std::shared_ptr<XmtpTransport*> self_;                    // queries in flight hold it weakly
};

}  // namespace keylink::runtime
