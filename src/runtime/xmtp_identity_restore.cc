// XmtpNode::restore_identity: a new home of a wallet adopts the wallet's messaging identity from its
// backup on the relay, before the node opens (keylink/runtime/xmtp_node.h).
#include <memory>
#include <optional>
#include <utility>

#include <boost/asio/post.hpp>

#include "keylink/identity/eth_account.h"
#include "keylink/identity/keystore_errors.h"
#include "keylink/identity/private_store.h"
#include "keylink/identity/xmtp_identity.h"
#include "keylink/keystore/local_keystore.h"
#include "keylink/relay/errors.h"
#include "keylink/relay/outbox.h"
#include "keylink/runtime/xmtp_node.h"
#include "keylink/runtime/xmtp_transport.h"
#include "keylink/wire/xmtp/topics.h"

namespace keylink::runtime {

namespace asio = boost::asio;
namespace wx = wire::xmtp;

namespace {
// Relay messages read from the private store topic at most; past them, the newest backup read is used.
constexpr std::size_t kMaxBackupsRead = 200'000;
}  // namespace

void XmtpNode::restore_identity(asio::io_context& io, Home& home, relay::ClientOptions relay_options, Rng& rng,
                                const Clock& clock, Done<bool> done) {
  auto post_done = [&io, &done](Result<bool> result) { asio::post(io, [done, result] { done(result); }); };
  auto existing = keystore::LocalKeystore::load(home.db(), home.vault(), rng);
  if (existing) return post_done(false);
  if (existing.error().code != identity::KeystoreErrc::kNoIdentity) return post_done(fail(existing.error()));
  auto account = identity::EthAccount::load_or_create(home.db(), home.vault(), rng);
  if (!account) return post_done(fail(account.error()));
  auto outbox = relay::RelayOutbox::open(home.db());
  if (!outbox) return post_done(fail(outbox.error()));

  // A client of its own for one query; it lives until the answer comes.
  struct Lookup {
    identity::EthAccount account;
    relay::RelayOutbox outbox;
    std::unique_ptr<relay::RelayClient> client;
    std::unique_ptr<XmtpTransport> transport;
  };
  auto lookup = std::make_shared<Lookup>(Lookup{std::move(*account), std::move(*outbox), nullptr, nullptr});
  auto finish = [&io, lookup, done](Result<bool> result) {
    lookup->client->stop();
    // The client and transport go after this call returns, not from within their own callback.
    asio::post(io, [lookup, done, result] {
      lookup->transport.reset();
      lookup->client.reset();
      done(result);
    });
  };
  // Every backup on the topic is read, page by page (junk on the topic costs time, never the restore),
  // and the newest identity the wallet opens is adopted: newest by the time its identity key was made,
  // which the wallet's signature covers, not by the envelope's time, which a republisher sets. A wallet
  // that made several identities uses its latest, as xmtp-js does.
  struct Best {
    std::optional<identity::XmtpIdentity> identity;
    std::uint64_t made = 0;
  };
  auto on_connected = [&home, &rng, lookup, finish]() {
    auto best = std::make_shared<Best>();
    XmtpQueryOptions options;
    options.page_limit = 1000;
    options.max_total = kMaxBackupsRead;
    lookup->transport->query_pages(
        wx::private_store_topic(lookup->account.address()), options,
        [lookup, best](XmtpPage page) -> Result<bool> {
          for (const auto& envelope : page.envelopes) {
            auto restored = identity::open_private_store(envelope.message, lookup->account);
            if (!restored) continue;
            const std::uint64_t made = identity::key_created_ns(restored->public_bundle().identity_key);
            if (!best->identity || made >= best->made) {
              best->made = made;
              best->identity.emplace(std::move(*restored));
            }
          }
          return true;
        },
        [&home, &rng, best, finish](Result<XmtpPagesEnd> end) {
          if (!end) return finish(fail(context("reading the identity backup", end.error())));
          if (!best->identity) return finish(false);
          auto created = keystore::LocalKeystore::create(home.db(), home.vault(), std::move(*best->identity), rng);
          if (!created) return finish(fail(created.error()));
          finish(true);
        });
  };
  lookup->client = std::make_unique<relay::RelayClient>(
      io, std::move(relay_options), home.client_key(), lookup->outbox, clock, rng,
      relay::RelayClient::Callbacks{
          .on_message = [](const relay::RelayMessage&) { return true; },
          .on_state =
              [on_connected, finish, connected = false](relay::RelayClient::State state,
                                                        const std::string& why) mutable {
                if (state == relay::RelayClient::State::kStopped && !connected && !why.empty()) {
                  return finish(fail(relay::Errc::kNotAcknowledged, why));
                }
                if (state != relay::RelayClient::State::kConnected || connected) return;
                connected = true;
                on_connected();
              },
          .on_published = [](std::int64_t, const Result<void>&) {},
      });
  lookup->transport =
      std::make_unique<XmtpTransport>(*lookup->client, lookup->outbox, home.db(),
                                      XmtpTransport::Callbacks{.on_envelope = [](const wx::Envelope&) { return true; },
                                                               .on_dropped = [](const std::string&, const Error&) {}});
  lookup->client->start();
}

}  // namespace keylink::runtime
