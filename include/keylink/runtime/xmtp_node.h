// An XMTP v2 client over keylink-relay: the home's messaging identity (its LocalKeystore), the message
// cache, the Messenger's decisions and the transport's envelopes, on one io_context. The chat commands
// drive it.
//
// The home gets its identity on first open (from its wallet account, made when missing) and publishes
// its contact bundles once, as xmtp-js does, so that any XMTP client on the relay can find it.
// Everything that publishes commits with its relay outbox rows in one transaction: a message is stored
// as sent and queued for the relay, or neither. Reading (sync) fetches a topic's history with
// keylink_query from where it was last read (the relay's receipt time of the last message read, kept
// per topic whether that message was accepted or refused), at most 10,000 relay messages per topic per
// sync (the next sync carries on), opens each page in keystore batches and stores what is new with the
// topic's new read position, in one transaction per page; refused envelopes go to on_refused, each
// alone, and never into the cache.
//
// Not thread-safe: everything runs on the io_context's thread. Completion callbacks run on it, never
// from within the call that started them.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "keylink/base/clock.h"
#include "keylink/base/result.h"
#include "keylink/base/rng.h"
#include "keylink/crypto/ethereum.h"
#include "keylink/identity/keystore.h"
#include "keylink/keystore/local_keystore.h"
#include "keylink/messaging/message_store.h"
#include "keylink/messaging/messenger.h"
#include "keylink/relay/client.h"
#include "keylink/runtime/home.h"

namespace keylink::runtime {

struct XmtpNodeCallbacks {
  // A message stored while watching (from the peer, or from this identity on another device), after
  // its commit.
  std::function<void(const messaging::DecodedMessage&, const identity::ConversationReference&)> on_message;
  // An invitation or message that failed its checks (altered, replayed elsewhere, not signed by a
  // party): dropped, for the log.
  std::function<void(const messaging::Refusal&)> on_refused;
  std::function<void(relay::RelayClient::State, const std::string& why)> on_relay_state;
  // A message of ours that the relay refused or never acknowledged.
  std::function<void(const Error&)> on_publish_error;
};

// XmtpNode errors beyond those of its parts.
enum class XmtpNodeErrc {
  kNoContact = 1,  // the peer has published no valid contact bundle on this relay
};
const std::error_category& xmtp_node_category() noexcept;
inline std::error_code make_error_code(XmtpNodeErrc e) noexcept { return {static_cast<int>(e), xmtp_node_category()}; }

class XmtpNode {
 public:
  template <class T>
  using Done = std::function<void(Result<T>)>;

  // For a home without a messaging identity whose wallet has one already (made by keylink on another
  // device, or by any XMTP app): finds the newest backup on the relay's private store topic that the
  // home's wallet opens, as xmtp-js Client.create does, and adopts it. Newest by the creation time of
  // its identity key, which the wallet signed (never by the envelope's time, which anyone sets). Done with true when it
  // did, false when there was none (open() then makes a new identity), right away when the home has one. io, home, rng
  // and clock must outlive the call.
  static void restore_identity(boost::asio::io_context& io, Home& home, relay::ClientOptions relay_options, Rng& rng,
                               const Clock& clock, Done<bool> done);
  // io, home, rng and clock must outlive the node. With `elsewhere`, the identity's keys are in a
  // keystore elsewhere (a wallet: keystore::RemoteKeystore) and the home holds none; without, in the
  // home (its LocalKeystore, made on first use).
  static Result<std::unique_ptr<XmtpNode>> open(boost::asio::io_context& io, Home& home,
                                                relay::ClientOptions relay_options, Rng& rng, const Clock& clock,
                                                XmtpNodeCallbacks callbacks,
                                                std::unique_ptr<identity::Keystore> elsewhere = nullptr);
  ~XmtpNode();

  // Connects to the relay (reconnecting until stop()); queued messages go as soon as it is up.
  void start();
  void stop();

  const std::string& address() const noexcept;  // EIP-55
  identity::Keystore& keystore() noexcept;
  messaging::MessageStore& messages() noexcept;
  // Whether the views of conversations (conversations(), watch()) show those with peers this identity
  // denied (`contacts deny`, or consent read from another device): hidden, as xmtp-js apps hide them,
  // unless asked for all. Their messages are still read and kept, so that asking for all shows them.
  enum class Shown { kNotDenied, kAll };

  // The conversations (V2 and V1), oldest first; with `peer` alone when given.
  Result<std::vector<identity::ConversationReference>> conversations(const std::optional<crypto::EthAddress>& peer = {},
                                                                     Shown shown = Shown::kNotDenied);

  // The peer's newest contact bundle on the relay that its wallet signed, newest by the creation times
  // its signatures cover (an old bundle republished later is still old); kNoContact when none.
  void find_contact(const crypto::EthAddress& peer, Done<messaging::Contact> done);
  // New conversations from my invite topic, then new messages of every conversation (with `peer` only,
  // when given). Received::messages holds what was new, in conversation order.
  void sync(const std::optional<crypto::EthAddress>& peer, Done<messaging::Received> done);
  // Sends `content` to `peer`, starting the conversation (its invitation to both invite topics) when
  // there is none. Done once it is stored and queued; when_sent() tells when the relay has it.
  void send(const crypto::EthAddress& peer, const wire::xmtp::EncodedContent& content,
            Done<messaging::Messenger::Sent> done);
  // From now on, new invitations and messages as they arrive: on_message for each message stored in a
  // conversation `shown` shows.
  void watch(Shown shown = Shown::kNotDenied);

  // Records consent for `peer`, locally and on my private preferences topic (self-encrypted, as
  // xmtp-js Contacts.allow / deny write it).
  Result<void> set_consent(const crypto::EthAddress& peer, messaging::Consent consent);
  // Applies the consent records on my private preferences topic (another device's decisions).
  void sync_consent(Done<void> done);

  // keylink's own topics beside XMTP's (the device-group topics of keylink/sync), in XMTP envelopes
  // like any content topic. publish_to queues messages, committed in one transaction with what
  // `also` writes (the caller's state change), then flushes. read_new hands each message new on the
  // topic since it was last read to on_message, in the relay's order, page by page; each page commits
  // what on_message wrote with the topic's read position. on_message refuses a hostile message itself
  // and fails only when the home cannot be written (which ends the read with that error).
  Result<void> publish_to(const std::string& topic, const std::vector<Bytes>& messages,
                          const std::function<Result<void>()>& also = {});
  void read_new(const std::string& topic, std::function<Result<void>(const wire::xmtp::Envelope&)> on_message,
                Done<void> done);
  // The identity's keystore in this process (device linking signs the account's device list with it);
  // null when the keys are elsewhere.
  keystore::LocalKeystore* local_keystore() noexcept;
  boost::asio::io_context& io_context() noexcept;

  // Runs `done` once every queued message has been acknowledged (or refused) by the relay.
  void when_sent(std::function<void()> done);

  // Device removal: a new pre-key (keystore::LocalKeystore::rotate_pre_key) and the contact bundles
  // that advertise it (identity::contact_envelopes, as first published), in one transaction, then sent.
  // A peer that reads the contact afterwards (find_contact: the newest pre-key wins) seals its new
  // invitations to a key the removed device does not have; older pre-keys stay, for what was sealed to
  // them. It cannot shut out a removed device that uses the identity key it still holds.
  Result<void> rotate_pre_key();

 private:
  struct State;
  explicit XmtpNode(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace keylink::runtime

template <>
struct std::is_error_code_enum<keylink::runtime::XmtpNodeErrc> : std::true_type {};
