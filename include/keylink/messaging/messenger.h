// The messaging client's logic, without IO: what to publish to start a conversation or send a message,
// and what to make of envelopes read from the network (invitations, messages). The runtime moves the
// envelopes; the Messenger decides. Private keys are reached only through the Keystore.
//
// Thread-compatible, on the thread of the home's Database. Each call that stores (send, receive_*)
// should run inside the caller's transaction, so that what it stored and the envelopes it returns for
// publishing (the relay outbox) commit together.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "keylink/base/clock.h"
#include "keylink/base/result.h"
#include "keylink/base/rng.h"
#include "keylink/identity/keystore.h"
#include "keylink/messaging/message.h"
#include "keylink/messaging/message_store.h"
#include "keylink/wire/xmtp/content.h"
#include "keylink/wire/xmtp/keys.h"
#include "keylink/wire/xmtp/network_envelope.h"

namespace keylink::messaging {

// How far ahead of this home's clock another party's may run: an invitation dated later is refused, and
// no read mark goes past now + this.
inline constexpr std::uint64_t kMaxClockSkewNs = 3600ull * 1'000'000'000;

// A peer whose bundle was fetched from its contact topic and verified (keylink/messaging/contact.h).
struct Contact {
  std::string address;  // EIP-55
  wire::xmtp::SignedPublicKeyBundle bundle;
  // When the bundle's newer key was made, its identity key or its pre-key (identity::key_created_ns:
  // signed, unlike the envelope's time); 0 when unknown. The newer bundle of a wallet is the one with
  // the later time: a new identity, or a new pre-key of the same identity.
  std::uint64_t published_ns = 0;
};

// An envelope that was not accepted, and why (never shown as a message; logged).
struct Refusal {
  std::string topic;
  Error error;
};

struct Received {
  std::vector<identity::ConversationReference> conversations;  // new ones (from invitations)
  std::vector<DecodedMessage> messages;                        // new ones, in the order received
  std::vector<Refusal> refused;
  // The newest envelope timestamp of what was accepted (refused envelopes never count), at most
  // now + kMaxClockSkewNs; 0 when nothing was.
  std::uint64_t newest_ns = 0;
};

class Messenger {
 public:
  // REQUIRES: all outlive the Messenger.
  Messenger(identity::Keystore& keystore, MessageStore& store, Rng& rng, const Clock& clock);

  const std::string& address() const noexcept { return address_; }
  // My invite topic: where invitations to me (and copies of mine) arrive.
  const std::string& invite_topic() const noexcept { return invite_topic_; }
  // My intro topic: where the first message of each V1 conversation with me arrives.
  const std::string& intro_topic() const noexcept { return intro_topic_; }

  // Conversations (V2 and V1), oldest first; those with `peer` (EIP-55) alone when given.
  Result<std::vector<identity::ConversationReference>> conversations(std::optional<std::string> peer = std::nullopt);

  // Starts (or finds: invitations are deterministic) the conversation with `contact`: the invitation
  // sealed for both, to publish on both invite topics.
  struct Started {
    identity::ConversationReference conversation;
    std::vector<wire::xmtp::Envelope> envelopes;
  };
  Result<Started> start(const Contact& contact, const std::string& conversation_id = "");

  // A new message on `conversation`: the envelope to publish; the message is stored as sent.
  struct Sent {
    DecodedMessage message;
    wire::xmtp::Envelope envelope;
  };
  Result<Sent> send(const identity::ConversationReference& conversation, const wire::xmtp::EncodedContent& content);

  // Invitations read from my invite topic: the conversations they open. Each is refused alone when
  // the keystore refuses it, or when it is dated more than kMaxClockSkewNs ahead of now (kBadTime).
  Result<Received> receive_invites(std::span<const wire::xmtp::Envelope> envelopes);
  // V1 introductions read from my intro topic: the V1 conversations they open, and their first messages.
  Result<Received> receive_intros(std::span<const wire::xmtp::Envelope> envelopes);
  // Envelopes read from a conversation's topic (V2, or a V1 DM topic): the messages not seen before,
  // stored. Refuses messages that belong to another conversation or whose sender is neither party, and
  // (silently) ids already stored: a replay. Every refusal is the message's alone (one dated past what
  // the cache keeps too, kBadTime); only a failing store fails the call.
  Result<Received> receive_messages(const identity::ConversationReference& conversation,
                                    std::span<const wire::xmtp::Envelope> envelopes);

 private:
  std::uint64_t now_ns() const;

  identity::Keystore& keystore_;
  MessageStore& store_;
  Rng& rng_;
  const Clock& clock_;
  std::string address_;
  std::string invite_topic_;
  std::string intro_topic_;
};

}  // namespace keylink::messaging
