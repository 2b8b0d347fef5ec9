#include "keylink/runtime/xmtp_transport.h"

#include <algorithm>
#include <memory>

#include "keylink/store/transaction.h"
#include "keylink/wire/errors.h"
#include "keylink/wire/xmtp/relay_mapping.h"

namespace keylink::runtime {

namespace wx = wire::xmtp;
using Envelopes = std::vector<wx::Envelope>;

struct XmtpTransport::QueryState {
  std::string xmtp_topic;
  XmtpQueryOptions options;
  relay::QueryRequest request;
  std::size_t seen = 0;  // relay messages, kept or not
  std::function<Result<bool>(XmtpPage)> on_page;
  std::function<void(Result<XmtpPagesEnd>)> done;
};

XmtpTransport::XmtpTransport(relay::RelayClient& client, relay::RelayOutbox& outbox, store::Database& db,
                             Callbacks callbacks)
    : client_(client),
      outbox_(outbox),
      db_(db),
      callbacks_(std::move(callbacks)),
      self_(std::make_shared<XmtpTransport*>(this)) {}

XmtpTransport::~XmtpTransport() = default;

Result<std::int64_t> XmtpTransport::enqueue(const wx::Envelope& envelope) {
  if (envelope.content_topic.empty()) {
    return fail(wire::Errc::kMalformed, "XMTP envelope has no content topic: nowhere to publish it");
  }
  return outbox_.add({.topic = wx::relay_topic(envelope.content_topic),
                      .message = wx::relay_payload(envelope),
                      .ttl = wx::kXmtpTtlSeconds,
                      .tag = wx::kXmtpRelayTag});
}

Result<std::vector<std::int64_t>> XmtpTransport::publish(std::span<const wx::Envelope> envelopes) {
  auto tx = store::Transaction::begin(db_);
  if (!tx) return fail(tx.error());
  std::vector<std::int64_t> ids;
  for (const wx::Envelope& envelope : envelopes) {
    auto id = enqueue(envelope);
    if (!id) return fail(id.error());  // the transaction rolls back: none of them is queued
    ids.push_back(*id);
  }
  if (auto committed = tx->commit(); !committed) return fail(committed.error());
  client_.flush_outbox();
  return ids;
}

void XmtpTransport::subscribe(const std::string& xmtp_topic) {
  std::string relay_topic = wx::relay_topic(xmtp_topic);
  client_.subscribe(relay_topic);
  topics_.insert_or_assign(std::move(relay_topic), xmtp_topic);
}

void XmtpTransport::unsubscribe(const std::string& xmtp_topic) {
  const std::string relay_topic = wx::relay_topic(xmtp_topic);
  if (topics_.erase(relay_topic) != 0) client_.unsubscribe(relay_topic);
}

bool XmtpTransport::handles(std::string_view relay_topic) const { return topics_.contains(relay_topic); }

bool XmtpTransport::on_relay_message(const relay::RelayMessage& message) {
  auto found = topics_.find(message.topic);
  if (found == topics_.end()) return true;
  auto envelope = open(message, found->second);
  // A payload that can never be handled is acked, or the relay would deliver it at every connect.
  if (!envelope) return true;
  return !callbacks_.on_envelope || callbacks_.on_envelope(*envelope);
}

std::optional<wx::Envelope> XmtpTransport::open(const relay::RelayMessage& message, const std::string& xmtp_topic) {
  auto drop = [&](Error why) {
    if (callbacks_.on_dropped) callbacks_.on_dropped(message.topic, why);
    return std::nullopt;
  };
  auto envelope = wx::decode_relay_payload(message.message);
  if (!envelope) return drop(envelope.error());
  // The relay topic says which XMTP topic the envelope claims; one that names another topic was put
  // here by a relay or a peer, and would reach a conversation it is not part of.
  if (envelope->content_topic != xmtp_topic) {
    return drop(Error{make_error_code(wire::Errc::kMalformed), "XMTP envelope for topic '" + envelope->content_topic +
                                                                   "' on the relay topic of '" + xmtp_topic + "'"});
  }
  return std::move(*envelope);
}

void XmtpTransport::query_all(const std::string& xmtp_topic, XmtpQueryOptions options,
                              std::function<void(Result<Envelopes>)> done) {
  auto kept = std::make_shared<Envelopes>();
  const std::size_t max_total = options.max_total;
  query_pages(
      xmtp_topic, options,
      [kept](XmtpPage page) -> Result<bool> {
        kept->insert(kept->end(), std::make_move_iterator(page.envelopes.begin()),
                     std::make_move_iterator(page.envelopes.end()));
        return true;
      },
      [kept, max_total, xmtp_topic, done = std::move(done)](Result<XmtpPagesEnd> end) {
        if (!end) return done(fail(end.error()));
        if (end->more) {
          return done(fail(wire::Errc::kTooLarge, "XMTP query of '" + xmtp_topic + "': more than " +
                                                      std::to_string(max_total) +
                                                      " messages in range; narrow the range"));
        }
        done(std::move(*kept));
      });
}

void XmtpTransport::query_pages(const std::string& xmtp_topic, XmtpQueryOptions options,
                                std::function<Result<bool>(XmtpPage)> on_page,
                                std::function<void(Result<XmtpPagesEnd>)> done) {
  auto state = std::make_shared<QueryState>();
  state->xmtp_topic = xmtp_topic;
  state->request.topic = wx::relay_topic(xmtp_topic);
  // The relay's bounds are in ms: widened to whole ms here, then applied exactly to timestamp_ns.
  if (options.start_ns) state->request.start_ms = static_cast<std::int64_t>(*options.start_ns / 1'000'000);
  if (options.published_from_ms) {
    state->request.start_ms =
        std::max(state->request.start_ms.value_or(*options.published_from_ms), *options.published_from_ms);
  }
  if (options.end_ns) state->request.end_ms = static_cast<std::int64_t>((*options.end_ns + 999'999) / 1'000'000);
  state->request.limit = options.page_limit;
  state->request.direction = options.direction;
  state->options = options;
  state->on_page = std::move(on_page);
  state->done = std::move(done);
  next_page(std::move(state));
}

void XmtpTransport::next_page(std::shared_ptr<QueryState> state) {
  relay::QueryRequest request = state->request;
  client_.query(std::move(request),
                [weak = std::weak_ptr<XmtpTransport*>(self_), state](Result<relay::QueryPage> page) {
                  if (auto self = weak.lock()) (*self)->on_page(state, std::move(page));
                });
}

void XmtpTransport::on_page(std::shared_ptr<QueryState> state, Result<relay::QueryPage> page) {
  if (!page) return state->done(fail(context("XMTP query of '" + state->xmtp_topic + "'", page.error())));
  // A cursor with an empty page would ask for the same page forever.
  if (page->cursor && page->messages.empty()) {
    return state->done(fail(wire::Errc::kMalformed,
                            "XMTP query of '" + state->xmtp_topic + "': the relay sent an empty page with a cursor"));
  }
  state->seen += page->messages.size();
  const auto& start = state->options.start_ns;
  const auto& end = state->options.end_ns;
  XmtpPage out;
  for (const relay::RelayMessage& message : page->messages) {
    out.last_published_ms = message.published_at;
    auto envelope = open(message, state->xmtp_topic);
    if (!envelope) continue;
    if ((start && envelope->timestamp_ns < *start) || (end && envelope->timestamp_ns > *end)) continue;
    out.envelopes.push_back(std::move(*envelope));
  }
  auto go_on = state->on_page(std::move(out));
  if (!go_on) return state->done(fail(go_on.error()));
  const bool more = page->cursor.has_value();
  if (!*go_on || !more || state->seen >= state->options.max_total) {
    return state->done(XmtpPagesEnd{state->seen, more});
  }
  state->request.cursor = std::move(page->cursor);
  next_page(std::move(state));
}

}  // namespace keylink::runtime
